#include "core/wire/v4_url.hpp"

#include "core/common/text.hpp"
#include "core/session/session_id.hpp"

namespace sshrelay::v4 {
namespace {

const std::string* find(const QueryParams& params, std::string_view name) {
  auto it = params.find(name);
  return it == params.end() ? nullptr : &it->second;
}

std::string pack_frames_suffix(bool pack_frames) {
  return pack_frames ? "&" + std::string(kPackFramesParam) + "=1" : std::string();
}

// Absent: no. A value other than a yes/no word is refused by name, like any other malformed parameter.
Result<bool> parse_pack_frames(const QueryParams& params) {
  const auto* text = find(params, kPackFramesParam);
  if (!text) return false;
  const auto on = parse_bool_word(*text);
  if (!on) return protocol_error(std::string(kPackFramesParam) + "= must be 1 or 0");
  return *on;
}

}  // namespace

std::string connect_request_target(std::string_view prefix, std::string_view host, std::uint16_t port,
                                   std::string_view user, bool pack_frames) {
  return std::string(prefix) + std::string(kConnectPath) + "?host=" + percent_encode_component(host) +
         "&port=" + std::to_string(port) + "&dstUsername=" + percent_encode_component(user) +
         pack_frames_suffix(pack_frames);
}

std::string reconnect_request_target(std::string_view prefix, std::string_view sid, std::uint64_t ack,
                                     bool pack_frames) {
  return std::string(prefix) + std::string(kReconnectPath) + "?sid=" + percent_encode_component(sid) +
         "&ack=" + std::to_string(ack) + pack_frames_suffix(pack_frames);
}

Result<std::uint64_t> parse_byte_count(std::string_view text) {
  if (text.empty()) return protocol_error("empty");
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return protocol_error("not decimal digits");
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return protocol_error("2^64 or more");
    value = value * 10 + digit;
  }
  return value;
}

Result<ConnectRequest> parse_connect_request(const QueryParams& params) {
  const auto* host = find(params, "host");
  const auto* port = find(params, "port");
  if (!host || !port) return protocol_error(std::string(kConnectPath) + " needs host= and port=");
  auto target = make_target(*host, *port);
  if (!target) return target.error();
  const auto* user = find(params, "dstUsername");
  auto pack = parse_pack_frames(params);
  if (!pack) return pack.error();
  return ConnectRequest{std::move(*target), user ? *user : std::string(), *pack};
}

Result<ReconnectRequest> parse_reconnect_request(const QueryParams& params) {
  const auto* sid = find(params, "sid");
  if (!sid || !is_valid_session_id(*sid)) return protocol_error("missing or malformed sid=");
  const auto* ack_text = find(params, "ack");
  if (!ack_text) return protocol_error("missing ack=");
  auto ack = parse_byte_count(*ack_text);
  if (!ack) return protocol_error("ack= must be a decimal byte count (" + ack.error().message + ")");
  auto pack = parse_pack_frames(params);
  if (!pack) return pack.error();
  return ReconnectRequest{*sid, *ack, *pack};
}

}  // namespace sshrelay::v4
