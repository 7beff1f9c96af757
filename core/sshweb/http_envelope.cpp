#include "core/sshweb/http_envelope.hpp"

#include <array>

#include "core/common/text.hpp"

namespace sshrelay::sshweb {

bool is_hop_by_hop_header(std::string_view name) {
  static constexpr std::array<std::string_view, 8> kHopByHop = {
      "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers", "transfer-encoding", "upgrade"};
  const auto lowered = ascii_lower(name);
  for (const auto hop : kHopByHop) {
    if (lowered == hop) return true;
  }
  return false;
}

std::string http_envelope(const UpstreamResponse& response) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + response.reason + "\r\n";
  for (const auto& [name, value] : response.headers) {
    // Content-Length is ours: the body is whole, whatever framing the upstream used.
    if (is_hop_by_hop_header(name) || ascii_lower(name) == "content-length") continue;
    out += name + ": " + value + "\r\n";
  }
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  out += response.body;
  return out;
}

}  // namespace sshrelay::sshweb
