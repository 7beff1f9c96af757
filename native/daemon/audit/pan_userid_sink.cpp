#include "native/daemon/audit/pan_userid_sink.hpp"

namespace sshrelay::daemon::audit {
namespace {

bool is_login(const AuditRecord& r) { return r.event.type == AuditEventType::session_start; }

std::string block_key(const AuditEvent& e) { return e.relay_ip + "|" + std::to_string(e.relay_source_port); }

std::string entry_xml(const UidEntry& entry) {
  std::string xml = "<entry name=\"" + xml_attribute_escape(entry.user) + "\" ip=\"" + xml_attribute_escape(entry.ip) +
                    "\" blockstart=\"" + std::to_string(entry.blockstart) + "\"";
  if (entry.timeout_minutes != 0) xml += " timeout=\"" + std::to_string(entry.timeout_minutes) + "\"";
  return xml + "/>";
}

std::string wrap_payload(const std::string& payload) {
  return "<uid-message><version>1.0</version><type>update</type><payload>" + payload + "</payload></uid-message>";
}

// The text of <msg>/<line> in an error response, for the log.
std::string response_message(const std::string& body) {
  for (const char* tag : {"line", "msg"}) {
    const std::string open = std::string("<") + tag + ">";
    const auto begin = body.find(open);
    if (begin == std::string::npos) continue;
    const auto end = body.find(std::string("</") + tag + ">", begin);
    std::string text = body.substr(begin + open.size(), end == std::string::npos ? 200 : end - begin - open.size());
    if (text.size() > 200) text.resize(200);
    return text;
  }
  return body.substr(0, 200);
}

}  // namespace

std::string pan_user_name(std::string_view domain, std::string_view principal) {
  if (domain.empty()) return std::string(principal);
  return std::string(domain) + "\\" + std::string(principal);
}

std::string xml_attribute_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // Control characters are not allowed in XML 1.0 (tab, CR, LF are, but attribute normalisation
        // would turn them into spaces): write them as spaces ourselves.
        out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
    }
  }
  return out;
}

std::string form_urlencode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string uid_message_login_logout(const std::vector<UidEntry>& logins, const std::vector<UidEntry>& logouts) {
  std::string payload;
  if (!logins.empty()) {
    payload += "<login>";
    for (const auto& entry : logins) payload += entry_xml(entry);
    payload += "</login>";
  }
  if (!logouts.empty()) {
    payload += "<logout>";
    for (const auto& entry : logouts) payload += entry_xml(entry);
    payload += "</logout>";
  }
  return wrap_payload(payload);
}

std::string uid_message_multiuser_setup(std::string_view ip, std::uint16_t first, std::uint16_t last,
                                        std::uint16_t block_size) {
  return wrap_payload("<multiusersystem><entry ip=\"" + xml_attribute_escape(ip) + "\" startport=\"" +
                      std::to_string(first) + "\" endport=\"" + std::to_string(last) + "\" blocksize=\"" +
                      std::to_string(block_size) + "\"/></multiusersystem>");
}

PanUserIdSink::PanUserIdSink(std::size_t capacity, net::any_io_executor strand, BatchOptions options,
                             std::shared_ptr<HttpsClient> client, PanOptions pan, std::string name)
    : AsyncBatchSink(std::move(name), capacity, std::move(strand), options, std::move(client)), pan_(std::move(pan)) {}

bool PanUserIdSink::accepts(const AuditRecord& record) const {
  const auto& e = record.event;
  return (e.type == AuditEventType::session_start || e.type == AuditEventType::session_close) &&
         !e.principal.empty() && !e.relay_ip.empty() && e.relay_source_port != 0;
}

// The firewall applies all logins of a message before its logouts. So a message must not hold a login
// that follows a logout of the same block (a port reused by the next session): the batch ends before it,
// and the rest waits in carry_ for the next one.
std::vector<RecordPtr> PanUserIdSink::take_batch() {
  const std::size_t limit = options().batch_max;
  if (carry_.size() < limit) {
    for (auto& record : take(limit - carry_.size(), options().batch_max_bytes)) carry_.push_back(std::move(record));
  }
  std::vector<RecordPtr> batch;
  std::set<std::string> logged_out;
  while (!carry_.empty() && batch.size() < limit) {
    const auto& record = carry_.front();
    const std::string key = block_key(record->event);
    if (is_login(*record)) {
      if (logged_out.count(key) != 0) break;
    } else {
      logged_out.insert(key);
    }
    batch.push_back(std::move(carry_.front()));
    carry_.pop_front();
  }
  return batch;
}

http::request<http::string_body> PanUserIdSink::form_request(const std::string& uid_message) const {
  http::request<http::string_body> request{http::verb::post, url().target, 11};
  request.set(http::field::content_type, "application/x-www-form-urlencoded");
  request.set(http::field::user_agent, "sshrelayd/" SSHRELAY_VERSION);
  std::string body = "type=user-id&cmd=" + form_urlencode(uid_message);
  if (!pan_.vsys.empty()) body += "&vsys=" + form_urlencode(pan_.vsys);
  if (pan_.key_in_body) {
    body += "&key=" + form_urlencode(pan_.api_key);
  } else {
    request.set("X-PAN-KEY", pan_.api_key);
  }
  request.body() = std::move(body);
  return request;
}

http::request<http::string_body> PanUserIdSink::make_request(const std::vector<RecordPtr>& batch) {
  pending_setup_ip_.clear();
  for (const auto& record : batch) {
    if (is_login(*record) && configured_ips_.count(ip_of(record->event)) == 0) {
      pending_setup_ip_ = ip_of(record->event);
      return form_request(uid_message_multiuser_setup(pending_setup_ip_, pan_.port_first, pan_.port_last,
                                                      pan_.block_size));
    }
  }
  std::vector<UidEntry> logins, logouts;
  for (const auto& record : batch) {
    const auto& e = record->event;
    const bool login = is_login(*record);
    UidEntry entry{pan_user_name(pan_.user_domain, e.principal), ip_of(e), e.relay_source_port,
                   login ? pan_.login_timeout_minutes : 0};
    (login ? logins : logouts).push_back(std::move(entry));
  }
  return form_request(uid_message_login_logout(logins, logouts));
}

AsyncBatchSink::Verdict PanUserIdSink::judge(const HttpResult& result, std::string& why) {
  if (result.ec) {
    why = result.where + ": " + result.ec.message();
    return Verdict::retry;
  }
  const bool success = result.body.find("status=\"success\"") != std::string::npos ||
                       result.body.find("status='success'") != std::string::npos;
  if (result.status == 200 && success) {
    if (pending_setup_ip_.empty()) return Verdict::done;
    configured_ips_.insert(pending_setup_ip_);
    pending_setup_ip_.clear();
    return Verdict::more;
  }
  why = std::string(pending_setup_ip_.empty() ? "User-ID update" : "multi-user system setup") + " answered HTTP " +
        std::to_string(result.status) + ": " + response_message(result.body);
  if (result.status == 408 || result.status == 429 || result.status >= 500) return Verdict::retry;
  return Verdict::reject;
}

}  // namespace sshrelay::daemon::audit
