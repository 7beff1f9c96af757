#pragma once
// Address blocks ("10.0.0.0/8", "2001:db8::/32", or one address) for the target policy and for
// trusted proxies. IPv4 is held in its IPv4-mapped IPv6 form so one comparison serves both families:
// a rule for 127.0.0.0/8 also matches ::ffff:127.0.0.1.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/policy/address_class.hpp"
#include "core/common/result.hpp"

namespace sshrelay {

struct Cidr {
  Ipv6Bytes network{};  // IPv4 blocks are stored mapped (::ffff:a.b.c.d)
  unsigned prefix = 0;  // in IPv6 bits (an IPv4 /8 is stored as /104)

  bool contains(const Ipv6Bytes& address) const;
  bool contains(const Ipv4Bytes& address) const;
  std::string to_string() const;
};

// Accepts "a.b.c.d/n", "v6/n" and bare addresses (a single host). Host bits set below the prefix are an
// error ("10.0.0.1/8" is almost always a typo for a host or for 10.0.0.0/8).
Result<Cidr> parse_cidr(std::string_view text);

Ipv6Bytes map_ipv4(const Ipv4Bytes& address);

}  // namespace sshrelay
