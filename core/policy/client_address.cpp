#include "core/policy/client_address.hpp"

#include "core/common/text.hpp"

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

std::string_view trim(std::string_view s) { return trim_ows(s); }

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

std::string effective_client_address(std::string_view peer, const ProxyHeaders& headers,
                                     const std::vector<Cidr>& trusted_proxies) {
  if (!trusted(peer, trusted_proxies)) return std::string(peer);
  for (const std::string_view single : {headers.cf_connecting_ip, headers.real_ip}) {
    const std::string_view address = trim(single);
    if (address_bytes(address)) return std::string(address);
  }
  return effective_client_address(peer, headers.forwarded_for, trusted_proxies);
}

}  // namespace sshrelay
