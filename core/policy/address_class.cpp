#include "core/policy/address_class.hpp"

#include <cstddef>
#include <vector>

namespace sshrelay {
namespace {

bool in_prefix(const Ipv4Bytes& a, std::uint8_t b0, std::uint8_t b1, std::uint8_t b2, int prefix_bits) {
  const std::uint32_t value =
      (std::uint32_t{a[0]} << 24) | (std::uint32_t{a[1]} << 16) | (std::uint32_t{a[2]} << 8) | a[3];
  const std::uint32_t network = (std::uint32_t{b0} << 24) | (std::uint32_t{b1} << 16) | (std::uint32_t{b2} << 8);
  const std::uint32_t mask = prefix_bits == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix_bits);
  return (value & mask) == (network & mask);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses "h16" groups separated by ':' (no "::" inside). A dotted quad is allowed as the last element
// when allow_ipv4_tail is set; it yields two groups.
bool parse_groups(std::string_view text, bool allow_ipv4_tail, std::vector<std::uint16_t>& groups) {
  if (text.empty()) return true;
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = text.find(':', start);
    const std::string_view part =
        text.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start);
    const bool last = colon == std::string_view::npos;
    if (last && allow_ipv4_tail && part.find('.') != std::string_view::npos) {
      const auto v4 = parse_ipv4(part);
      if (!v4) return false;
      groups.push_back(static_cast<std::uint16_t>(((*v4)[0] << 8) | (*v4)[1]));
      groups.push_back(static_cast<std::uint16_t>(((*v4)[2] << 8) | (*v4)[3]));
      return true;
    }
    if (part.empty() || part.size() > 4) return false;
    unsigned value = 0;
    for (const char c : part) {
      const int digit = hex_value(c);
      if (digit < 0) return false;
      value = value * 16 + static_cast<unsigned>(digit);
    }
    groups.push_back(static_cast<std::uint16_t>(value));
    if (last) return true;
    start = colon + 1;
  }
}

}  // namespace

AddressClass classify_address(const Ipv4Bytes& a) {
  if (in_prefix(a, 0, 0, 0, 8)) return AddressClass::unspecified;
  if (in_prefix(a, 127, 0, 0, 8)) return AddressClass::loopback;
  if (in_prefix(a, 169, 254, 0, 16)) return AddressClass::link_local;
  if (in_prefix(a, 224, 0, 0, 4)) return AddressClass::multicast;
  if (in_prefix(a, 10, 0, 0, 8) || in_prefix(a, 172, 16, 0, 12) || in_prefix(a, 192, 168, 0, 16) ||
      in_prefix(a, 100, 64, 0, 10)) {
    return AddressClass::private_network;
  }
  if (in_prefix(a, 240, 0, 0, 4) ||      // future use, includes 255.255.255.255
      in_prefix(a, 192, 0, 0, 24) ||     // IETF protocol assignments
      in_prefix(a, 192, 0, 2, 24) ||     // TEST-NET-1
      in_prefix(a, 198, 18, 0, 15) ||    // benchmarking
      in_prefix(a, 198, 51, 100, 24) ||  // TEST-NET-2
      in_prefix(a, 203, 0, 113, 24)) {   // TEST-NET-3
    return AddressClass::reserved;
  }
  return AddressClass::public_network;
}

namespace {

bool all_zero(const Ipv6Bytes& a, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to; ++i) {
    if (a[i] != 0) return false;
  }
  return true;
}

bool is_teredo(const Ipv6Bytes& a) { return a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0; }

// The rank used by stricter(): lower is allowed less often by the target policy.
int strictness_rank(AddressClass c) {
  switch (c) {
    case AddressClass::unspecified: return 0;
    case AddressClass::multicast: return 1;
    case AddressClass::link_local: return 2;
    case AddressClass::reserved: return 3;
    case AddressClass::loopback: return 4;
    case AddressClass::private_network: return 5;
    case AddressClass::public_network: return 6;
  }
  return 0;
}

}  // namespace

AddressClass stricter(AddressClass a, AddressClass b) { return strictness_rank(a) <= strictness_rank(b) ? a : b; }

std::vector<Ipv4Bytes> carried_ipv4(const Ipv6Bytes& a) {
  const Ipv4Bytes tail{a[12], a[13], a[14], a[15]};
  if (all_zero(a, 0, 10) && a[10] == 0xff && a[11] == 0xff) return {tail};                     // ::ffff:a.b.c.d
  if (all_zero(a, 0, 8) && a[8] == 0xff && a[9] == 0xff && a[10] == 0 && a[11] == 0) return {tail};  // ::ffff:0:a.b.c.d
  if (a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b && all_zero(a, 4, 12)) return {tail};  // 64:ff9b::
  if (a[0] == 0x20 && a[1] == 0x02) return {Ipv4Bytes{a[2], a[3], a[4], a[5]}};                // 2002:AABB:CCDD::
  if (is_teredo(a)) {
    const Ipv4Bytes client{static_cast<std::uint8_t>(~a[12]), static_cast<std::uint8_t>(~a[13]),
                           static_cast<std::uint8_t>(~a[14]), static_cast<std::uint8_t>(~a[15])};
    return {client, Ipv4Bytes{a[4], a[5], a[6], a[7]}};
  }
  return {};
}

AddressClass classify_address(const Ipv6Bytes& a) {
  if (const auto carried = carried_ipv4(a); !carried.empty()) {
    AddressClass result = AddressClass::public_network;
    for (const auto& v4 : carried) result = stricter(result, classify_address(v4));
    return result;
  }
  if (all_zero(a, 0, 10)) {
    if (a[10] == 0 && a[11] == 0 && a[12] == 0 && a[13] == 0 && a[14] == 0) {
      if (a[15] == 0) return AddressClass::unspecified;
      if (a[15] == 1) return AddressClass::loopback;
    }
    // Deprecated IPv4-compatible forms: nothing legitimate dials them.
    return AddressClass::reserved;
  }
  // 64:ff9b:1::/48, local-use NAT64: where the IPv4 address sits depends on the operator's prefix length.
  if (a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b && a[4] == 0 && a[5] == 1) {
    return AddressClass::reserved;
  }
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return AddressClass::link_local;
  if (a[0] == 0xff) return AddressClass::multicast;
  if ((a[0] & 0xfe) == 0xfc) return AddressClass::private_network;
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) return AddressClass::private_network;  // deprecated site-local
  if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8) return AddressClass::reserved;  // documentation
  if (a[0] == 0x01 && a[1] == 0x00 && all_zero(a, 2, 8)) return AddressClass::reserved;  // discard-only 100::/64
  return AddressClass::public_network;
}

std::string_view to_string(AddressClass address_class) {
  switch (address_class) {
    case AddressClass::unspecified:
      return "unspecified";
    case AddressClass::loopback:
      return "loopback";
    case AddressClass::link_local:
      return "link_local";
    case AddressClass::multicast:
      return "multicast";
    case AddressClass::private_network:
      return "private_network";
    case AddressClass::reserved:
      return "reserved";
    case AddressClass::public_network:
      return "public_network";
  }
  return "unknown";
}

std::optional<Ipv4Bytes> parse_ipv4(std::string_view text) {
  Ipv4Bytes out{};
  std::size_t part = 0;
  std::size_t i = 0;
  while (true) {
    const std::size_t begin = i;
    unsigned value = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      value = value * 10 + static_cast<unsigned>(text[i] - '0');
      if (value > 255) return std::nullopt;
      ++i;
    }
    const std::size_t digits = i - begin;
    if (digits == 0 || (digits > 1 && text[begin] == '0')) return std::nullopt;
    out[part++] = static_cast<std::uint8_t>(value);
    if (part == 4) break;
    if (i >= text.size() || text[i] != '.') return std::nullopt;
    ++i;
  }
  if (i != text.size()) return std::nullopt;
  return out;
}

std::optional<Ipv6Bytes> parse_ipv6(std::string_view text) {
  std::vector<std::uint16_t> head;
  std::vector<std::uint16_t> tail;
  const std::size_t gap = text.find("::");
  if (gap == std::string_view::npos) {
    if (!parse_groups(text, true, head) || head.size() != 8) return std::nullopt;
  } else {
    const std::string_view before = text.substr(0, gap);
    const std::string_view after = text.substr(gap + 2);
    if (after.find("::") != std::string_view::npos) return std::nullopt;
    if (!parse_groups(before, false, head) || !parse_groups(after, true, tail)) return std::nullopt;
    // "::" stands for at least one zero group.
    if (head.size() + tail.size() > 7) return std::nullopt;
  }
  Ipv6Bytes out{};
  for (std::size_t i = 0; i < head.size(); ++i) {
    out[2 * i] = static_cast<std::uint8_t>(head[i] >> 8);
    out[2 * i + 1] = static_cast<std::uint8_t>(head[i] & 0xff);
  }
  const std::size_t tail_start = 8 - tail.size();
  for (std::size_t i = 0; i < tail.size(); ++i) {
    out[2 * (tail_start + i)] = static_cast<std::uint8_t>(tail[i] >> 8);
    out[2 * (tail_start + i) + 1] = static_cast<std::uint8_t>(tail[i] & 0xff);
  }
  return out;
}

}  // namespace sshrelay
