#include "core/tunnel/tunnel_host.hpp"

#include "core/common/text.hpp"

namespace sshrelay::tunnel {

std::string canonical_host(std::string_view host) {
  host = trim_space(host);
  if (!host.empty() && host.front() == '[') {
    // [v6]:port or [v6]
    const auto close = host.find(']');
    host = close == std::string_view::npos ? host.substr(1) : host.substr(1, close - 1);
  } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos && host.find(':') == colon) {
    host = host.substr(0, colon);  // one colon: a port (several: a bare IPv6 address, kept whole)
  }
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return ascii_lower(host);
}

bool is_subdomain_label(std::string_view label) {
  if (label.size() != kSubdomainLength) return false;
  for (const char c : label) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

HostMatch match_tunnel_host(std::string_view host, std::string_view domain) {
  if (domain.empty()) return NotTunnelHost{};
  const auto h = canonical_host(host);
  if (h.size() <= domain.size() + 1 || h.compare(h.size() - domain.size(), domain.size(), domain) != 0 ||
      h[h.size() - domain.size() - 1] != '.') {
    return NotTunnelHost{};
  }
  const auto label = std::string_view(h).substr(0, h.size() - domain.size() - 1);
  if (!is_subdomain_label(label)) return InvalidTunnelHost{};
  return std::string(label);
}

std::string tunnel_url(std::string_view subdomain, std::string_view domain, unsigned public_port) {
  std::string url = "https://" + std::string(subdomain) + "." + std::string(domain);
  if (public_port != 443) url += ":" + std::to_string(public_port);
  return url;
}

}  // namespace sshrelay::tunnel
