#include "core/policy/target.hpp"

#include "core/common/text.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <vector>

#include "core/policy/address_class.hpp"
#include "core/common/quote.hpp"

namespace sshrelay {
namespace {

constexpr std::size_t kMaxHostLength = 253;
// An IPv6 zone names an interface (Linux: at most 15 characters) or its index. The bound also keeps every
// host, bracketed or not, within kMaxHostLength, so both spellings of a target parse alike.
constexpr std::size_t kMaxZoneLength = 64;
constexpr std::size_t kMaxLabelLength = 63;


std::string describe_byte(unsigned char byte) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "byte 0x%02x", byte);
  return buffer;
}

bool is_ascii_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

char lower_char(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Whitespace, control and non-ASCII bytes are refused before anything else looks at the text: they are
// how header injection and look-alike names get in.
Status check_bytes(std::string_view what, std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == ' ' || byte < 0x20 || byte == 0x7f) {
      return protocol_error(std::string(what) + " " + quote(text) + " contains whitespace or a control character (" +
                            describe_byte(byte) + " at offset " + std::to_string(i) + ")");
    }
    if (byte >= 0x80) {
      return protocol_error(std::string(what) + " " + quote(text) + " contains non-ASCII " + describe_byte(byte) +
                            " at offset " + std::to_string(i) + "; internationalized names must use their xn-- form");
    }
  }
  return Ok{};
}

// One part of a legacy IPv4 form as inet_aton(3) reads it: "0x1f" hex, "017" octal, "31" decimal.
std::optional<std::uint64_t> legacy_ipv4_part(std::string_view part) {
  unsigned base = 10;
  if (part.size() > 2 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X')) {
    base = 16;
    part.remove_prefix(2);
  } else if (part.size() > 1 && part[0] == '0') {
    base = 8;
    part.remove_prefix(1);
  }
  if (part.empty() || part.size() > 12) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : part) {
    const char l = lower_char(c);
    const unsigned digit = (l >= '0' && l <= '9') ? static_cast<unsigned>(l - '0')
                           : (l >= 'a' && l <= 'f') ? static_cast<unsigned>(l - 'a' + 10)
                                                    : 16;
    if (digit >= base) return std::nullopt;
    value = value * base + digit;
  }
  return value;
}

bool looks_like_legacy_ipv4_part(std::string_view label) {
  if (label.size() > 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X')) {
    return std::all_of(label.begin() + 2, label.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
  }
  return std::all_of(label.begin(), label.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "2130706433", "0x7f.1", "0177.0.0.1", "127.1": forms the C resolver (inet_aton) takes as IPv4, as the
// dotted quad they stand for, so that policy, logs and audit see the address that would be dialed.
// nullopt when the text is not such a form.
std::optional<std::string> legacy_ipv4(std::string_view text) {
  std::vector<std::uint64_t> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = text.find('.', start);
    const auto part = legacy_ipv4_part(text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (!part || parts.size() == 4) return std::nullopt;
    parts.push_back(*part);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  // The last part fills the bytes the others leave: a.b.c.d, a.b.c(16 bits), a.b(24 bits), a(32 bits).
  const std::size_t leading = parts.size() - 1;
  if (parts.back() >> (8 * (4 - leading)) != 0) return std::nullopt;
  std::uint32_t address = static_cast<std::uint32_t>(parts.back());
  for (std::size_t i = 0; i < leading; ++i) {
    if (parts[i] > 255) return std::nullopt;
    address |= static_cast<std::uint32_t>(parts[i]) << (8 * (3 - i));
  }
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 255) + "." +
         std::to_string((address >> 8) & 255) + "." + std::to_string(address & 255);
}

Result<std::string> normalize_ipv6(std::string_view original, std::string_view text) {
  const std::size_t percent = text.find('%');
  const std::string_view address = text.substr(0, percent);
  if (!parse_ipv6(address)) {
    return protocol_error("host " + quote(original) + " is not a valid IPv6 address");
  }
  std::string out = ascii_lower(address);
  if (percent != std::string_view::npos) {
    const std::string_view zone = text.substr(percent + 1);
    if (zone.empty()) return protocol_error("host " + quote(original) + " has an empty IPv6 zone after '%'");
    if (zone.size() > kMaxZoneLength) {
      return protocol_error("host " + quote(original) + " has an IPv6 zone of " + std::to_string(zone.size()) +
                            " characters (at most " + std::to_string(kMaxZoneLength) + ")");
    }
    for (const char c : zone) {
      if (!is_ascii_alnum(c) && c != '-' && c != '_' && c != '.') {
        return protocol_error("host " + quote(original) + " has invalid character '" + std::string(1, c) +
                              "' in its IPv6 zone (allowed: letters, digits, '-', '_', '.')");
      }
    }
    out += '%';
    out += zone;
  }
  return out;
}

Result<std::string> normalize_name(std::string_view text) {
  // One trailing dot (an absolute name) is allowed and does not count towards the length limit.
  const std::string_view name = (text.size() > 1 && text.back() == '.') ? text.substr(0, text.size() - 1) : text;
  if (name.size() > kMaxHostLength) {
    return protocol_error("host " + quote(text) + " is " + std::to_string(name.size()) +
                          " characters long; DNS names are at most 253");
  }
  for (const char c : name) {
    if (!is_ascii_alnum(c) && c != '-' && c != '_' && c != '.') {
      return protocol_error("host " + quote(text) + " has invalid character '" + std::string(1, c) +
                            "' (allowed: letters, digits, '-', '_', '.', and ':' only in IPv6 literals)");
    }
  }
  std::string_view last_label;
  bool all_numeric_parts = true;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::string_view label =
        name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) return protocol_error("host " + quote(text) + " has an empty label (\"..\" or a leading dot)");
    if (label.size() > kMaxLabelLength) {
      return protocol_error("host " + quote(text) + " has a label of " + std::to_string(label.size()) +
                            " characters; DNS labels are at most 63");
    }
    if (label.front() == '-' || label.back() == '-') {
      return protocol_error("host " + quote(text) + " has label " + quote(label) + " starting or ending with '-'");
    }
    last_label = label;
    all_numeric_parts = all_numeric_parts && looks_like_legacy_ipv4_part(label);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parse_ipv4(name)) return std::string(name);
  if (all_numeric_parts) {
    if (auto address = legacy_ipv4(name)) return *address;
  }
  const bool numeric_tld =
      std::all_of(last_label.begin(), last_label.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (numeric_tld) {
    return protocol_error("host " + quote(text) + " looks numeric but is not an IPv4 address");
  }
  return ascii_lower(text);
}

}  // namespace

std::string Target::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty()) return protocol_error("port is empty");
  unsigned long value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return protocol_error("port " + quote(text) + " is not a number");
    // Saturate instead of overflowing on long digit strings; anything above the limit is out of range.
    if (value <= 65535) value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  if (value == 0 || value > 65535) return protocol_error("port " + quote(text) + " is out of range 1-65535");
  return static_cast<std::uint16_t>(value);
}

Result<std::string> normalize_host(std::string_view host) {
  if (host.empty()) return protocol_error("host is empty");
  if (auto checked = check_bytes("host", host); !checked) return checked.error();

  if (host.front() == '[') {
    if (host.size() < 2 || host.back() != ']') {
      return protocol_error("host " + quote(host) + " has '[' without a matching ']' at its end");
    }
    const std::string_view inner = host.substr(1, host.size() - 2);
    if (inner.find_first_of("[]") != std::string_view::npos) {
      return protocol_error("host " + quote(host) + " has unbalanced brackets");
    }
    if (inner.empty()) return protocol_error("host " + quote(host) + " has nothing between its brackets");
    if (inner.find(':') == std::string_view::npos) {
      return protocol_error("host " + quote(host) + " is bracketed but is not an IPv6 address");
    }
    return normalize_ipv6(host, inner);
  }
  if (host.find_first_of("[]") != std::string_view::npos) {
    return protocol_error("host " + quote(host) + " has unbalanced brackets");
  }
  if (host.size() > kMaxHostLength + 1) {
    return protocol_error("host " + quote(host) + " is " + std::to_string(host.size()) +
                          " characters long; DNS names are at most 253");
  }
  const auto colons = std::count(host.begin(), host.end(), ':');
  if (colons == 1) {
    return protocol_error("host " + quote(host) + " contains ':' but is not an IPv6 address (is it host:port?)");
  }
  if (colons >= 2) return normalize_ipv6(host, host);
  if (host.find('%') != std::string_view::npos) {
    return protocol_error("host " + quote(host) + " has a '%' zone, which only IPv6 addresses may have");
  }
  return normalize_name(host);
}

Result<Target> make_target(std::string_view host, std::string_view port_text) {
  auto normalized = normalize_host(host);
  if (!normalized) return normalized.error();
  auto port = parse_port(port_text);
  if (!port) return port.error();
  return Target{std::move(normalized).value(), *port};
}

Result<Target> parse_target(std::string_view text, std::uint16_t default_port) {
  if (text.empty()) return protocol_error("target is empty");
  if (auto checked = check_bytes("target", text); !checked) return checked.error();

  std::string_view host = text;
  std::string_view port_text;
  bool has_port = false;

  if (text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return protocol_error("target " + quote(text) + " has '[' without a matching ']'");
    }
    host = text.substr(0, close + 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return protocol_error("target " + quote(text) + " has unexpected text " + quote(rest) +
                              " after ']' (expected \":port\" or nothing)");
      }
      port_text = rest.substr(1);
      has_port = true;
    }
  } else if (text.find_first_of("[]") != std::string_view::npos) {
    return protocol_error("target " + quote(text) + " has unbalanced brackets (IPv6 with a port is \"[addr]:port\")");
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const std::size_t colon = text.find(':');
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    has_port = true;
  }

  if (host.empty()) return protocol_error("target " + quote(text) + " has an empty host");
  auto normalized = normalize_host(host);
  if (!normalized) return normalized.error();
  std::uint16_t port = default_port;
  if (has_port) {
    auto parsed = parse_port(port_text);
    if (!parsed) return parsed.error();
    port = *parsed;
  }
  return Target{std::move(normalized).value(), port};
}

}  // namespace sshrelay
