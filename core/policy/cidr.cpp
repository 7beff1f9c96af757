#include "core/policy/cidr.hpp"

#include <charconv>

namespace sshrelay {

Ipv6Bytes map_ipv4(const Ipv4Bytes& address) {
  Ipv6Bytes mapped{};
  mapped[10] = 0xff;
  mapped[11] = 0xff;
  for (int i = 0; i < 4; ++i) mapped[12 + i] = address[i];
  return mapped;
}

bool Cidr::contains(const Ipv6Bytes& address) const {
  unsigned bits = prefix;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i) {
    const unsigned take = bits >= 8 ? 8 : bits;
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - take));
    if ((address[i] & mask) != (network[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

bool Cidr::contains(const Ipv4Bytes& address) const { return contains(map_ipv4(address)); }

std::string Cidr::to_string() const {
  const bool v4 = prefix >= 96 && Cidr{map_ipv4({0, 0, 0, 0}), 96}.contains(network);
  std::string text;
  if (v4) {
    for (int i = 12; i < 16; ++i) text += std::to_string(network[i]) + (i < 15 ? "." : "");
    return text + "/" + std::to_string(prefix - 96);
  }
  static const char* hex = "0123456789abcdef";
  for (int i = 0; i < 16; i += 2) {
    if (i) text += ':';
    const unsigned word = (network[i] << 8) | network[i + 1];
    text += hex[(word >> 12) & 15];
    text += hex[(word >> 8) & 15];
    text += hex[(word >> 4) & 15];
    text += hex[word & 15];
  }
  return text + "/" + std::to_string(prefix);
}

Result<Cidr> parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  const auto address_text = text.substr(0, slash);
  Cidr cidr;
  unsigned max_prefix = 128;
  unsigned offset = 0;
  if (auto v4 = parse_ipv4(address_text)) {
    cidr.network = map_ipv4(*v4);
    max_prefix = 32;
    offset = 96;
  } else if (auto v6 = parse_ipv6(address_text)) {
    cidr.network = *v6;
  } else {
    return local_error("\"" + std::string(text) + "\" is not an IP address or CIDR block");
  }
  unsigned prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || prefix > max_prefix) {
      return local_error("\"" + std::string(text) + "\": prefix length must be 0-" + std::to_string(max_prefix));
    }
  }
  cidr.prefix = prefix + offset;
  Cidr exact{cidr.network, 128};
  Cidr masked = cidr;
  for (unsigned bit = cidr.prefix; bit < 128; ++bit) masked.network[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
  if (masked.network != exact.network) {
    return local_error("\"" + std::string(text) + "\" has host bits set (did you mean " + masked.to_string() + "?)");
  }
  return cidr;
}

}  // namespace sshrelay
