#include "core/tunnel/tunnel_registry.hpp"
#include "core/common/hex.hpp"

namespace sshrelay::tunnel {

TunnelRegistry::TunnelRegistry(RegistryLimits limits) : limits_(limits) {}

std::uint16_t TunnelRegistry::take_port() {
  for (std::uint32_t p = limits_.port_min; p < limits_.port_max; ++p) {
    const auto port = static_cast<std::uint16_t>(p);
    if (!ports_in_use_.contains(port)) {
      ports_in_use_.insert(port);
      return port;
    }
  }
  return 0;
}

Result<Registered> TunnelRegistry::add(std::span<const std::uint8_t> random) {
  if (random.size() < kRandomBytesPerSubdomain) return local_error("a subdomain needs 8 random bytes");
  if (subdomains_.size() >= limits_.max_tunnels) {
    return local_error("the relay holds its maximum of " + std::to_string(limits_.max_tunnels) + " tunnels");
  }
  const std::string subdomain = lower_hex(random.first(kRandomBytesPerSubdomain));
  if (subdomains_.contains(subdomain)) return local_error("subdomain " + subdomain + " is taken; try again");
  const TunnelKey key = next_key_++;
  const auto port = take_port();
  subdomains_.emplace(subdomain, key);
  subdomain_of_.emplace(key, subdomain);
  if (port != 0) port_of_.emplace(key, port);
  return Registered{key, subdomain, port};
}

void TunnelRegistry::remove(TunnelKey key) {
  const auto sub = subdomain_of_.find(key);
  if (sub == subdomain_of_.end()) return;
  subdomains_.erase(sub->second);
  subdomain_of_.erase(sub);
  if (const auto port = port_of_.find(key); port != port_of_.end()) {
    ports_in_use_.erase(port->second);
    port_of_.erase(port);
  }
}

std::optional<TunnelKey> TunnelRegistry::find(const std::string& subdomain) const {
  const auto it = subdomains_.find(subdomain);
  if (it == subdomains_.end()) return std::nullopt;
  return it->second;
}

bool TunnelRegistry::begin_http(const std::string& ip) {
  auto& n = http_by_ip_[ip];
  if (n >= limits_.max_http_per_ip) {
    if (n == 0) http_by_ip_.erase(ip);
    return false;
  }
  ++n;
  return true;
}

void TunnelRegistry::end_http(const std::string& ip) {
  const auto it = http_by_ip_.find(ip);
  if (it == http_by_ip_.end()) return;
  if (--it->second == 0) http_by_ip_.erase(it);
}

bool TunnelRegistry::begin_tcp() {
  if (tcp_ >= limits_.max_tcp_global) return false;
  ++tcp_;
  return true;
}

void TunnelRegistry::end_tcp() {
  if (tcp_ > 0) --tcp_;
}

}  // namespace sshrelay::tunnel
