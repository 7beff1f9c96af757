#pragma once
// What kind of network a numeric IP address belongs to, for the target policy (SSRF defence, design.md §5).
// The policy resolves a name itself, then classifies every address it got back; these functions see only
// bytes, never names, so DNS tricks cannot change the answer.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace sshrelay {

using Ipv4Bytes = std::array<std::uint8_t, 4>;
using Ipv6Bytes = std::array<std::uint8_t, 16>;

enum class AddressClass {
  unspecified,      // 0.0.0.0/8, ::  — Linux connects these to the local host
  loopback,         // 127.0.0.0/8, ::1
  link_local,       // 169.254.0.0/16 (cloud metadata lives here), fe80::/10
  multicast,        // 224.0.0.0/4, ff00::/8
  private_network,  // 10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT), fc00::/7, fec0::/10
  reserved,         // documentation, benchmarking, 240/4 + broadcast, 100::/64, other ::/80 forms
  public_network,   // everything else
};

AddressClass classify_address(const Ipv4Bytes& address);
// An IPv6 address that carries an IPv4 address is classified as that IPv4 address: otherwise
// ::ffff:127.0.0.1 would be a way around a loopback ban. See carried_ipv4 for the forms; Teredo carries
// two (client and server) and gets the stricter class of the two (see stricter()); a policy must judge
// each carried address itself, as no single class can stand for two under every setting. The local-use
// NAT64 prefix 64:ff9b:1::/48 (RFC 8215) may embed the IPv4 address at several prefix lengths, so it is
// `reserved`: denied unless an allow block names it.
AddressClass classify_address(const Ipv6Bytes& address);

// The IPv4 addresses a packet to `address` is delivered through or to, for the forms that carry one:
// IPv4-mapped (::ffff:0:0/96), SIIT IPv4-translated (::ffff:0:0:0/96, RFC 2765), NAT64 well-known prefix
// (64:ff9b::/96, RFC 6052) and 6to4 (2002::/16, RFC 3056) carry one; Teredo (2001::/32, RFC 4380) carries
// the client's address (stored inverted) and then its server's. Empty for other addresses.
std::vector<Ipv4Bytes> carried_ipv4(const Ipv6Bytes& address);

// Of two classes, the one a default policy is least likely to allow: never allowed by class
// (unspecified, multicast, link-local, reserved) before allowed by a switch (loopback, private) before
// public. Only an order for reporting: a policy with switches judges each class itself.
AddressClass stricter(AddressClass a, AddressClass b);

// Stable lower-case names ("private_network"), for config files, logs and error messages.
std::string_view to_string(AddressClass address_class);

// Strict dotted quad: exactly four decimal parts 0-255, no leading zeros. inet_aton() would also read
// "127.1", "0x7f.0.0.1" and "0177.0.0.1" as 127.0.0.1; refusing those keeps one spelling per address.
std::optional<Ipv4Bytes> parse_ipv4(std::string_view text);

// RFC 4291 §2.2 text forms, including "::" compression and a trailing dotted quad ("::ffff:10.0.0.1").
// No brackets and no "%zone": callers strip those first.
std::optional<Ipv6Bytes> parse_ipv6(std::string_view text);

}  // namespace sshrelay
