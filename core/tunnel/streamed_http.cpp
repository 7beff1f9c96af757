#include "core/tunnel/streamed_http.hpp"

#include <algorithm>
#include <charconv>

#include "core/common/text.hpp"
#include "core/tunnel/header_filter.hpp"

namespace sshrelay::tunnel {
namespace {

constexpr std::string_view kHeadEnd = "\r\n\r\n";

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

// The visitor asked for a protocol switch: its Connection lists "upgrade" and it names the protocol.
std::string upgrade_asked(const HeaderList& fields) {
  bool connection_upgrade = false;
  std::string protocol;
  for (const auto& [name, value] : fields) {
    const auto lower = ascii_lower(name);
    if (lower == "connection") {
      for (const auto& token : split_list(value)) connection_upgrade |= ascii_lower(token) == "upgrade";
    } else if (lower == "upgrade") {
      protocol = std::string(trim_space(value));
    }
  }
  return connection_upgrade ? protocol : std::string();
}

// "HTTP/1.1 200 OK" -> 200; 0 when it is no HTTP/1.x status line.
int status_of(std::string_view line) {
  if (line.size() < 12 || !line.starts_with("HTTP/1.") || line[8] != ' ') return 0;
  int status = 0;
  const auto digits = line.substr(9, 3);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), status);
  if (ec != std::errc() || end != digits.data() + digits.size() || status < 100 || status > 999) return 0;
  if (line.size() > 12 && line[12] != ' ') return 0;
  return status;
}

}  // namespace

std::string streamed_request_head(std::string_view method, std::string_view target, const HeaderList& fields) {
  std::string head;
  head.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  for (const auto& [name, value] : streamed_request_headers(fields)) append_field(head, name, value);
  if (const auto protocol = upgrade_asked(fields); !protocol.empty()) {
    append_field(head, "Connection", "Upgrade");
    append_field(head, "Upgrade", protocol);
  } else {
    append_field(head, "Connection", "close");
  }
  head.append("\r\n");
  return head;
}

std::vector<std::uint8_t> StreamedResponse::feed(std::span<const std::uint8_t> bytes) {
  std::vector<std::uint8_t> out;
  if (state_ == State::body) return {bytes.begin(), bytes.end()};
  if (state_ == State::failed) return out;
  pending_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  // Heads one after another: interim 1xx ones, then the final one; the rest is the body.
  while (state_ == State::head) {
    const auto end = pending_.find(kHeadEnd);
    if (end == std::string::npos) {
      if (pending_.size() > kMaxStreamedResponseHead) {
        state_ = State::failed;
        failure_ = "the response head exceeds " + std::to_string(kMaxStreamedResponseHead / 1024) + " KiB";
      }
      break;
    }
    if (!take_head(std::string_view(pending_).substr(0, end), out)) {
      state_ = State::failed;
      break;
    }
    pending_.erase(0, end + kHeadEnd.size());
  }
  if (state_ == State::body) {
    out.insert(out.end(), pending_.begin(), pending_.end());
    pending_.clear();
    pending_.shrink_to_fit();
  }
  return out;
}

bool StreamedResponse::take_head(std::string_view head, std::vector<std::uint8_t>& out) {
  const auto line_end = std::min(head.find("\r\n"), head.size());
  const auto status_line = head.substr(0, line_end);
  status_ = status_of(status_line);
  if (status_ == 0) {
    failure_ = "the tunnel client's answer is not an HTTP/1.x response";
    return false;
  }
  HeaderList fields;
  auto rest = line_end < head.size() ? head.substr(line_end + 2) : std::string_view();
  while (!rest.empty()) {
    const auto eol = std::min(rest.find("\r\n"), rest.size());
    const auto line = rest.substr(0, eol);
    rest = eol < rest.size() ? rest.substr(eol + 2) : std::string_view();
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      failure_ = "the tunnel client's response has a malformed header line";
      return false;
    }
    fields.emplace_back(std::string(line.substr(0, colon)), std::string(trim_ows(line.substr(colon + 1))));
  }
  const bool upgraded = status_ == 101;
  std::string rewritten(status_line);
  rewritten.append("\r\n");
  for (const auto& [name, value] : streamed_response_headers(fields, upgraded)) append_field(rewritten, name, value);
  const bool final_head = status_ >= 200 || upgraded;
  if (final_head && !upgraded) append_field(rewritten, "Connection", "close");
  rewritten.append("\r\n");
  out.insert(out.end(), rewritten.begin(), rewritten.end());
  if (final_head) state_ = State::body;
  return true;
}

std::string streamed_plain_response(int status, std::string_view reason, std::string_view body) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " ";
  out.append(reason).append("\r\n");
  append_field(out, "Content-Type", "text/plain; charset=utf-8");
  append_field(out, "Content-Length", std::to_string(body.size()));
  append_field(out, "Cache-Control", "no-store");
  append_field(out, "Connection", "close");
  out.append("\r\n").append(body);
  return out;
}

}  // namespace sshrelay::tunnel
