#include "core/wire/raw_relay_request.hpp"

namespace sshrelay::raw {

std::string relay_request_target(std::string_view prefix, std::string_view host, std::uint16_t port) {
  return std::string(prefix) + std::string(kRelayPath) + "?host=" + percent_encode_component(host) +
         "&port=" + std::to_string(port);
}

Result<Target> parse_relay_request(const QueryParams& params) {
  const auto host = params.find("host");
  const auto port = params.find("port");
  if (host == params.end() || port == params.end() || host->second.empty() || port->second.empty()) {
    return protocol_error("host and port query params required");
  }
  if (!parse_port(port->second)) return protocol_error("invalid port (must be 1-65535)");
  return make_target(host->second, port->second);
}

}  // namespace sshrelay::raw
