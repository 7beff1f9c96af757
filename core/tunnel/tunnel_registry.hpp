#pragma once
// Every tunnel the relay holds (sans-I/O): its subdomain (8 random bytes in hex, passed in), its raw TCP
// port from the pool [port_min, port_max) (the lowest free one; 0 when none is free or the pool is off),
// and the caps shared across tunnels: concurrent subdomain requests per visitor address, and concurrent
// raw-port connections over all tunnels (the per-tunnel cap is the channel's, tunnel_channel.hpp). A port
// the daemon then cannot listen on (another program holds it) stays the tunnel's until it ends, so the
// next tunnel does not fail on it too; that tunnel reports no raw port.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>

#include "core/common/result.hpp"

namespace sshrelay::tunnel {

struct RegistryLimits {
  std::uint16_t port_min = 0;  // port_min == port_max: no raw ports
  std::uint16_t port_max = 0;  // exclusive
  std::size_t max_http_per_ip = 50;
  std::size_t max_tcp_global = 1000;
  std::size_t max_tunnels = 10000;
};

inline constexpr std::size_t kRandomBytesPerSubdomain = 8;

using TunnelKey = std::uint64_t;

struct Registered {
  TunnelKey key = 0;
  std::string subdomain;
  std::uint16_t raw_port = 0;
};

class TunnelRegistry {
 public:
  explicit TunnelRegistry(RegistryLimits limits = {});

  // `random`: kRandomBytesPerSubdomain bytes from a CSPRNG. An error names why (the cap, a repeated
  // subdomain: try again with new bytes).
  Result<Registered> add(std::span<const std::uint8_t> random);
  void remove(TunnelKey key);
  std::optional<TunnelKey> find(const std::string& subdomain) const;
  std::size_t size() const { return subdomains_.size(); }

  // Concurrent subdomain requests from one visitor address: false when at the cap.
  bool begin_http(const std::string& ip);
  void end_http(const std::string& ip);
  // Concurrent raw-port connections over all tunnels: false when at the cap.
  bool begin_tcp();
  void end_tcp();
  std::size_t tcp_connections() const { return tcp_; }

 private:
  std::uint16_t take_port();

  RegistryLimits limits_;
  TunnelKey next_key_ = 1;
  std::map<std::string, TunnelKey> subdomains_;
  std::map<TunnelKey, std::string> subdomain_of_;
  std::map<TunnelKey, std::uint16_t> port_of_;
  std::set<std::uint16_t> ports_in_use_;
  std::map<std::string, std::size_t> http_by_ip_;
  std::size_t tcp_ = 0;
};

}  // namespace sshrelay::tunnel
