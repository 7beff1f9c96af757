// Targets (core/target.hpp). Checks: a target parse_target or make_target accepts prints with
// to_string() to text that parses back to the same target; normalize_host is idempotent and its result
// has one spelling (lower case outside an IPv6 zone, no whitespace, control or non-ASCII bytes, a
// numeric last label only as a strict dotted quad, IPv6 literals that parse); parse_port accepts exactly
// the decimal numbers 1-65535; every refusal is a protocol error.
//
// Input: line 1 is a target or a host, line 2 a port (both used every way that fits).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/policy/address_class.hpp"
#include "core/policy/target.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace sshrelay::fuzz {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

void check_host_form(const std::string& host) {
  FUZZ_CHECK(!host.empty());
  for (const char c : host) FUZZ_CHECK(c > 0x20 && c < 0x7f && c != '[' && c != ']');
  const auto percent = host.find('%');
  if (host.find(':') != std::string::npos) {
    FUZZ_CHECK(parse_ipv6(std::string_view(host).substr(0, percent)).has_value());
    FUZZ_CHECK(std::none_of(host.begin(), host.begin() + static_cast<std::ptrdiff_t>(std::min(percent, host.size())),
                            [](char c) { return c >= 'A' && c <= 'Z'; }));
    return;
  }
  FUZZ_CHECK(percent == std::string::npos);
  FUZZ_CHECK(std::none_of(host.begin(), host.end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
  std::string_view name = host;
  if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
  FUZZ_CHECK(name.size() <= 253);
  const auto last_label = name.substr(name.rfind('.') + 1);
  if (!last_label.empty() && std::all_of(last_label.begin(), last_label.end(), is_digit)) {
    FUZZ_CHECK(name == host && parse_ipv4(name).has_value());  // "127.1", "2130706433" become dotted quads
  }
}

void check_round_trip(const Target& target) {
  FUZZ_CHECK(target.port != 0);
  check_host_form(target.host);
  auto again = parse_target(target.to_string(), 1);
  FUZZ_CHECK(again.ok() && *again == target);
  auto rebuilt = make_target(target.host, std::to_string(target.port));
  FUZZ_CHECK(rebuilt.ok() && *rebuilt == target);
}

void check_port(std::string_view text) {
  auto port = parse_port(text);
  std::string_view digits = text;
  const bool all_digits = !digits.empty() && std::all_of(digits.begin(), digits.end(), is_digit);
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  const bool in_range = all_digits && digits.size() <= 5 && std::stoul(std::string(digits)) >= 1 &&
                        std::stoul(std::string(digits)) <= 65535;
  FUZZ_CHECK(port.ok() == in_range);
  if (port) FUZZ_CHECK(std::to_string(*port) == digits);
  if (!port) FUZZ_CHECK(port.error().kind == ErrorKind::remote_protocol);
}

void check_host(std::string_view text) {
  auto host = normalize_host(text);
  if (!host) {
    FUZZ_CHECK(host.error().kind == ErrorKind::remote_protocol);
    return;
  }
  check_host_form(*host);
  auto again = normalize_host(*host);
  FUZZ_CHECK(again.ok() && *again == *host);
}

void check_target(std::string_view text, std::uint16_t default_port) {
  auto target = parse_target(text, default_port);
  if (!target) {
    FUZZ_CHECK(target.error().kind == ErrorKind::remote_protocol);
    return;
  }
  check_round_trip(*target);
}

}  // namespace
}  // namespace sshrelay::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sshrelay;
  using namespace sshrelay::fuzz;
  const std::string_view text = as_text(data, size);
  const auto newline = text.find('\n');
  const std::string_view first = text.substr(0, newline);
  const std::string_view second = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);

  check_target(first, 22);
  check_host(first);
  check_port(first);
  if (newline != std::string_view::npos) {
    check_port(second);
    auto made = make_target(first, second);
    if (made) {
      check_round_trip(*made);
      FUZZ_CHECK(made->host == *normalize_host(first) && made->port == *parse_port(second));
    } else {
      FUZZ_CHECK(made.error().kind == ErrorKind::remote_protocol);
      FUZZ_CHECK(!normalize_host(first).ok() || !parse_port(second).ok());
    }
  }
  return 0;
}
