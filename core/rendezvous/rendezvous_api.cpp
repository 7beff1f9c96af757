#include "core/rendezvous/rendezvous_api.hpp"

#include <algorithm>
#include <cmath>

#include "core/audit/audit_event.hpp"
#include "core/common/base64.hpp"
#include "core/session/session_id.hpp"
#include "core/wire/v4_url.hpp"

namespace sshrelay::rendezvous {

bool is_rendezvous_id(std::string_view text) {
  return text.size() == 22 && std::all_of(text.begin(), text.end(), is_base64url_char);
}

std::optional<std::string> id_after(std::string_view path, std::string_view prefix) {
  if (path.size() <= prefix.size() || path.substr(0, prefix.size()) != prefix) return std::nullopt;
  const auto id = path.substr(prefix.size());
  if (id.find('/') != std::string_view::npos) return std::nullopt;
  return std::string(id);
}

std::string leg_connect_target(std::string_view path_prefix, std::string_view id, std::string_view token) {
  return std::string(path_prefix) + std::string(kLegPathPrefix) + percent_encode_component(id) +
         "?token=" + percent_encode_component(token);
}

std::string leg_resume_target(std::string_view path_prefix, std::string_view id, std::string_view token,
                              std::string_view leg_sid, std::uint64_t ack) {
  return leg_connect_target(path_prefix, id, token) + "&sid=" + percent_encode_component(leg_sid) +
         "&ack=" + std::to_string(ack);
}

std::string invitation_link(std::string_view page_url, std::string_view id, std::string_view initiator_token) {
  std::string base(page_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/#invite=" + std::string(id) + "." + std::string(initiator_token);
}

Result<LegRequest> parse_leg_request(std::string_view id, const QueryParams& params, std::string_view bearer_token,
                                     bool resumable) {
  LegRequest request;
  request.id = std::string(id);
  // swsrs: the Authorization header wins over ?token=.
  if (!bearer_token.empty()) {
    request.token = std::string(bearer_token);
  } else if (auto it = params.find("token"); it != params.end()) {
    request.token = it->second;
  }
  if (request.token.empty()) return protocol_error("missing session token");
  const auto sid = params.find("sid");
  const auto ack = params.find("ack");
  if (sid == params.end() && ack == params.end()) return request;
  if (!resumable) return protocol_error("a plain rendezvous leg cannot be resumed (use /rendezvous/ for that)");
  if (sid == params.end() || !is_valid_session_id(sid->second)) return protocol_error("sid=: not a leg id");
  if (ack == params.end()) return protocol_error("ack=: missing");
  auto count = v4::parse_byte_count(ack->second);
  if (!count) return protocol_error("ack=: " + count.error().message);
  request.resume_sid = sid->second;
  request.resume_ack = *count;
  return request;
}

Result<Duration> parse_duration(std::string_view text) {
  if (text.empty()) return protocol_error("empty duration");
  double total_ms = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    if (i == start) return protocol_error("\"" + std::string(text) + "\" is not a duration like 90m or 1h30m");
    const std::string number(text.substr(start, i - start));
    if (std::count(number.begin(), number.end(), '.') > 1 || number == ".") {
      return protocol_error("\"" + std::string(text) + "\" is not a duration like 90m or 1h30m");
    }
    const double value = std::strtod(number.c_str(), nullptr);
    const std::size_t unit_start = i;
    while (i < text.size() && !((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    const auto unit = text.substr(unit_start, i - unit_start);
    double ms_per_unit = 0;
    if (unit == "ms") ms_per_unit = 1;
    else if (unit == "s") ms_per_unit = 1000;
    else if (unit == "m") ms_per_unit = 60'000;
    else if (unit == "h") ms_per_unit = 3'600'000;
    else if (unit.empty()) return protocol_error("\"" + std::string(text) + "\" needs a unit (ms, s, m or h)");
    else return protocol_error("\"" + std::string(unit) + "\" is not a unit of time (ms, s, m or h)");
    total_ms += value * ms_per_unit;
    if (total_ms > 366.0 * 24 * 3'600'000) return protocol_error("\"" + std::string(text) + "\" is over a year");
  }
  return Duration(static_cast<Duration::rep>(std::llround(total_ms)));
}

Result<std::optional<Duration>> parse_create_body(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return std::optional<Duration>{};
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return protocol_error("the body must be a JSON object, e.g. {\"ttl\":\"90m\"}");
  for (const auto& [key, value] : doc.items()) {
    if (key != "ttl" && key != "ttl_seconds") return protocol_error("unknown field \"" + key + "\" (ttl or ttl_seconds)");
  }
  if (doc.contains("ttl") && doc.contains("ttl_seconds")) return protocol_error("give ttl or ttl_seconds, not both");
  if (doc.contains("ttl")) {
    if (!doc["ttl"].is_string()) return protocol_error("ttl must be a string like \"90m\"");
    auto ttl = parse_duration(doc["ttl"].get<std::string>());
    if (!ttl) return protocol_error("ttl: " + ttl.error().message);
    return std::optional<Duration>(*ttl);
  }
  if (doc.contains("ttl_seconds")) {
    if (!doc["ttl_seconds"].is_number_unsigned()) return protocol_error("ttl_seconds must be a positive whole number");
    return std::optional<Duration>(std::chrono::seconds(doc["ttl_seconds"].get<std::uint64_t>()));
  }
  return std::optional<Duration>{};
}

std::chrono::system_clock::time_point WallClock::to_utc(TimePoint t) const {
  return utc_now + std::chrono::duration_cast<std::chrono::system_clock::duration>(t - steady_now);
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
  return format_utc_millis(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

nlohmann::json created_json(const Created& created, std::string_view public_base_url, const WallClock& clock) {
  nlohmann::json body = {{"id", created.id},
                         {"initiator_token", created.initiator_token},
                         {"responder_token", created.responder_token},
                         {"created_at", rfc3339(clock.to_utc(created.created_at))},
                         {"expires_at", rfc3339(clock.to_utc(created.expires_at))}};
  if (!public_base_url.empty()) {
    std::string base(public_base_url);
    while (!base.empty() && base.back() == '/') base.pop_back();
    const std::string url = base + std::string(kPlainLegPathPrefix) + created.id;
    body["initiator_url"] = url;
    body["responder_url"] = url;
  }
  return body;
}

nlohmann::json status_json(const Status& status, const WallClock& clock) {
  nlohmann::json body = {{"id", status.id},
                         {"state", state_name(status.state)},
                         {"created_at", rfc3339(clock.to_utc(status.created_at))},
                         {"expires_at", rfc3339(clock.to_utc(status.expires_at))},
                         {"last_activity", rfc3339(clock.to_utc(status.last_activity))},
                         {"bytes_in", status.bytes_in},
                         {"bytes_out", status.bytes_out},
                         {"initiator_connected", status.initiator_connected},
                         {"responder_connected", status.responder_connected},
                         {"pairings", status.pairings}};
  if (!status.principal.empty()) body["created_by"] = status.principal;
  return body;
}

}  // namespace sshrelay::rendezvous
