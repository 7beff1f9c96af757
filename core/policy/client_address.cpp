#include "core/policy/client_address.hpp"

#include <algorithm>
#include <optional>

namespace sshrelay {
namespace {

std::optional<Ipv6Bytes> address_bytes(std::string_view address) {
  if (auto v4 = parse_ipv4(address)) return map_ipv4(*v4);
  return parse_ipv6(address);
}

bool trusted(std::string_view address, const std::vector<Cidr>& proxies) {
  const auto bytes = address_bytes(address);
  if (!bytes) return false;
  return std::any_of(proxies.begin(), proxies.end(), [&](const Cidr& c) { return c.contains(*bytes); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string effective_client_address(std::string_view peer, std::string_view forwarded_for,
                                     const std::vector<Cidr>& trusted_proxies) {
  if (forwarded_for.empty() || !trusted(peer, trusted_proxies)) return std::string(peer);
  // Right to left: the first hop a trusted proxy did not add is the client. Every element counts, an
  // empty one (",10.0.0.1") included: garbage from the last trusted proxy means the header is ignored.
  std::string_view rest = forwarded_for;
  while (true) {
    const auto comma = rest.rfind(',');
    const std::string_view hop = trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    if (!address_bytes(hop)) return std::string(peer);
    if (!trusted(hop, trusted_proxies)) return std::string(hop);
    if (comma == std::string_view::npos) return std::string(hop);  // all trusted: the leftmost is the client
    rest = rest.substr(0, comma);
  }
}

}  // namespace sshrelay
