#include "core/target.hpp"

#include <algorithm>
#include <cstdio>

#include "core/address_class.hpp"
#include "core/quote.hpp"

namespace sshrelay {
namespace {

constexpr std::size_t kMaxHostLength = 253;
constexpr std::size_t kMaxLabelLength = 63;


std::string describe_byte(unsigned char byte) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "byte 0x%02x", byte);
  return buffer;
}

bool is_ascii_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
  return out;
}

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

Result<std::string> normalize_ipv6(std::string_view original, std::string_view text) {
  const std::size_t percent = text.find('%');
  const std::string_view address = text.substr(0, percent);
  if (!parse_ipv6(address)) {
    return protocol_error("host " + quote(original) + " is not a valid IPv6 address");
  }
  std::string out = lower(address);
  if (percent != std::string_view::npos) {
    const std::string_view zone = text.substr(percent + 1);
    if (zone.empty()) return protocol_error("host " + quote(original) + " has an empty IPv6 zone after '%'");
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
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  const bool numeric_tld =
      std::all_of(last_label.begin(), last_label.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (numeric_tld && !parse_ipv4(name)) {
    return protocol_error("host " + quote(text) +
                          " looks numeric but is not a dotted-quad IPv4 address (four parts 0-255, no leading zeros)");
  }
  return lower(text);
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
