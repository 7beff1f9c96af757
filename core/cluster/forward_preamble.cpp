#include "core/cluster/forward_preamble.hpp"

#include <nlohmann/json.hpp>

#include "core/common/base64.hpp"

namespace sshrelay::cluster {

std::string forward_mac_input(std::string_view encoded_body) {
  std::string input = "sshrelay forwarded reconnect\n";
  input.append(encoded_body);
  return input;
}

std::string encode_forward_body(const ForwardPreamble& p) {
  const nlohmann::json body = {{"from", p.from_node},
                               {"at", p.at_ms},
                               {"nonce", p.nonce},
                               {"sid", p.sid},
                               {"principal", p.principal},
                               {"anonymous", p.anonymous},
                               {"client_ip", p.client_ip},
                               {"client_port", p.client_port},
                               {"idp", p.identity_provider},
                               {"sub", p.identity_subject},
                               {"email", p.identity_email}};
  return base64url_encode(body.dump());
}

std::string forward_line(std::string_view encoded_body, std::string_view mac_hex) {
  std::string line(kForwardMagic);
  line.append(" ").append(encoded_body).append(" ").append(mac_hex).append("\r\n");
  return line;
}

Result<ForwardLine> split_forward_line(std::string_view line) {
  if (line.size() + 2 > kMaxForwardLine) return protocol_error("the forward line is too long");
  if (line.substr(0, kForwardMagic.size()) != kForwardMagic || line.size() == kForwardMagic.size() ||
      line[kForwardMagic.size()] != ' ') {
    return protocol_error("not a forwarded reconnect (the line does not start with " + std::string(kForwardMagic) + ")");
  }
  line.remove_prefix(kForwardMagic.size() + 1);
  const auto space = line.find(' ');
  if (space == std::string_view::npos || space == 0 || line.find(' ', space + 1) != std::string_view::npos) {
    return protocol_error("the forward line is not '" + std::string(kForwardMagic) + " BODY MAC'");
  }
  ForwardLine out{std::string(line.substr(0, space)), std::string(line.substr(space + 1))};
  if (out.mac_hex.size() != 64) return protocol_error("the forward line's MAC is not 32 bytes of hex");
  return out;
}

Result<ForwardPreamble> decode_forward_body(std::string_view encoded_body) {
  auto bytes = base64url_decode(encoded_body);
  if (!bytes) return protocol_error("the forward line's body is not base64url");
  const auto json = nlohmann::json::parse(bytes->begin(), bytes->end(), nullptr, false);
  if (!json.is_object()) return protocol_error("the forward line's body is not a JSON object");
  // No exceptions in core (the wasm build has none): every field is checked for its type first.
  const auto text = [&](const char* name, std::string& out) {
    const auto it = json.find(name);
    if (it == json.end() || !it->is_string()) return false;
    out = it->get<std::string>();
    return true;
  };
  ForwardPreamble p;
  const auto at = json.find("at");
  const auto anonymous = json.find("anonymous");
  const auto port = json.find("client_port");
  if (!text("from", p.from_node) || !text("nonce", p.nonce) || !text("sid", p.sid) || !text("principal", p.principal) ||
      !text("client_ip", p.client_ip) || at == json.end() || !at->is_number_integer() || anonymous == json.end() ||
      !anonymous->is_boolean() || port == json.end() || !port->is_number_unsigned() || port->get<std::uint64_t>() > 65535) {
    return protocol_error("the forward line's body lacks a field or has one of the wrong type");
  }
  p.at_ms = at->get<std::int64_t>();
  p.anonymous = anonymous->get<bool>();
  p.client_port = static_cast<std::uint16_t>(port->get<std::uint64_t>());
  (void)text("idp", p.identity_provider);
  (void)text("sub", p.identity_subject);
  (void)text("email", p.identity_email);
  if (p.nonce.size() < 16) return protocol_error("the forward line's nonce is too short");
  if (p.sid.empty()) return protocol_error("the forward line names no session");
  return p;
}

Status ForwardReplayGuard::accept(const ForwardPreamble& preamble, std::int64_t now_ms) {
  const auto window = window_.count();
  for (auto it = seen_.begin(); it != seen_.end();) {
    it = it->second < now_ms - window ? seen_.erase(it) : std::next(it);
  }
  if (preamble.at_ms < now_ms - window || preamble.at_ms > now_ms + window) {
    return protocol_error("the forwarded reconnect is dated " + std::to_string(preamble.at_ms - now_ms) +
                          " ms from this node's clock (more than " + std::to_string(window) + " ms: clocks out of step, or a replay)");
  }
  if (!seen_.emplace(preamble.nonce, preamble.at_ms).second) return protocol_error("the forwarded reconnect's nonce was used before");
  return Ok{};
}

}  // namespace sshrelay::cluster
