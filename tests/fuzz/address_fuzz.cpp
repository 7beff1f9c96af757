// Addresses, blocks and the target policy (core/address_class.hpp, core/cidr.hpp, core/target_policy.hpp).
// Checks, for every address text in the input:
// - parse_ipv4 has one spelling per address (printing the bytes gives the text back); an IPv4 address
//   and its IPv4-mapped form classify alike and parse_ipv6("::ffff:" + text) gives that form;
// - an IPv6 address printed back (compressed and in full, by the printer below) parses to the same bytes,
//   and an IPv6 form carrying an IPv4 address is classified at least as strictly as that address;
// - parse_cidr: the block contains its network, to_string() parses back to the same block, flipping a
//   host bit stays inside and flipping a prefix bit leaves it;
// and for every query against a policy built from the input's rule text:
// - unspecified and multicast are never allowed, nor a port off the global list, nor an address (or the
//   IPv4 address it carries) in a deny block;
// - a class denied by default (loopback, link-local, reserved, and private with no-private), also when
//   carried inside an IPv6 form, is allowed only when an allow block names the address or the options
//   allow that class (loopback, private) and no allow blocks are set;
// - with principal rules, some rule for the principal contains the address and allows the port;
// - the IPv4 and IPv4-mapped checks agree.
//
// Input lines: "options [loopback] [no-private]", "allow <cidr>,...", "deny <cidr>,...",
// "ports 22,2200-2299", "rules <json>", and queries "<address> <port> [<principal> [<group>...]]".
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/policy/address_class.hpp"
#include "core/policy/cidr.hpp"
#include "core/policy/target.hpp"
#include "core/policy/target_policy.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace sshrelay::fuzz {
namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

std::string print_ipv4(const Ipv4Bytes& a) {
  return std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) + "." + std::to_string(a[3]);
}

// Lower-case hex groups; `compress` replaces the longest run of two or more zero groups with "::".
std::string print_ipv6(const Ipv6Bytes& a, bool compress) {
  std::uint16_t groups[8];
  for (int i = 0; i < 8; ++i) groups[i] = static_cast<std::uint16_t>((a[2 * i] << 8) | a[2 * i + 1]);
  int best_start = -1, best_length = 1;
  for (int i = 0; compress && i < 8;) {
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_length) best_start = i, best_length = j - i;
    i = j == i ? i + 1 : j;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_length - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::string group;
    for (int shift = 12; shift >= 0; shift -= 4) group += kHex[(groups[i] >> shift) & 15];
    out += group.substr(std::min(group.find_first_not_of('0'), std::size_t{3}));
  }
  return out;
}

bool at_least_as_strict(AddressClass a, AddressClass b) { return stricter(a, b) == a; }

void check_ipv4(std::string_view text, const Ipv4Bytes& v4) {
  FUZZ_CHECK(print_ipv4(v4) == text);
  FUZZ_CHECK(!parse_ipv6(text));
  const Ipv6Bytes mapped = map_ipv4(v4);
  FUZZ_CHECK(classify_address(v4) == classify_address(mapped));
  FUZZ_CHECK(carried_ipv4(mapped) == std::vector<Ipv4Bytes>{v4});
  FUZZ_CHECK(parse_ipv6("::ffff:" + std::string(text)) == mapped);
}

void check_ipv6(const Ipv6Bytes& v6) {
  FUZZ_CHECK(parse_ipv6(print_ipv6(v6, true)) == v6);
  FUZZ_CHECK(parse_ipv6(print_ipv6(v6, false)) == v6);
  for (const auto& carried : carried_ipv4(v6)) {
    FUZZ_CHECK(at_least_as_strict(classify_address(v6), classify_address(carried)));
  }
}

void check_cidr(std::string_view text) {
  auto block = parse_cidr(text);
  if (!block) return;
  FUZZ_CHECK(block->prefix <= 128);
  FUZZ_CHECK(block->contains(block->network));
  auto again = parse_cidr(block->to_string());
  FUZZ_CHECK(again.ok() && again->network == block->network && again->prefix == block->prefix);
  for (unsigned bit : {block->prefix, 127u, block->prefix == 0 ? 0u : block->prefix - 1, 0u}) {
    if (bit >= 128) continue;
    Ipv6Bytes flipped = block->network;
    flipped[bit / 8] ^= static_cast<std::uint8_t>(0x80 >> (bit % 8));
    FUZZ_CHECK(block->contains(flipped) == (bit >= block->prefix));
  }
}

// Allowed without an allow block naming it: what the class switches let through.
bool allowed_by_default(AddressClass c, const TargetPolicyConfig& config) {
  return c == AddressClass::public_network || (c == AddressClass::private_network && config.allow_private) ||
         (c == AddressClass::loopback && config.allow_loopback);
}

bool any_contains(const std::vector<Cidr>& blocks, const Ipv6Bytes& address) {
  return std::any_of(blocks.begin(), blocks.end(), [&](const Cidr& c) { return c.contains(address); });
}

void check_policy(const TargetPolicy& policy, const Ipv6Bytes& address, std::uint16_t port,
                  const PrincipalView& who) {
  const auto& config = policy.config();
  auto verdict = policy.check(address, port, who);
  if (!verdict) {
    FUZZ_CHECK(verdict.error().kind == ErrorKind::local);
    return;
  }
  const AddressClass kind = classify_address(address);
  const auto carried = carried_ipv4(address);
  FUZZ_CHECK(kind != AddressClass::unspecified && kind != AddressClass::multicast);
  FUZZ_CHECK(config.ports.empty() ||
             std::any_of(config.ports.begin(), config.ports.end(), [&](const PortRange& r) { return r.contains(port); }));
  FUZZ_CHECK(!any_contains(config.deny, address));
  for (const auto& v4 : carried) FUZZ_CHECK(!any_contains(config.deny, map_ipv4(v4)));
  const bool named = any_contains(config.allow, address);
  FUZZ_CHECK(config.allow.empty() || named);
  if (!named) {
    FUZZ_CHECK(allowed_by_default(kind, config));
    // Every carried address on its own (a Teredo server and client each), as found by this target.
    for (const auto& v4 : carried) FUZZ_CHECK(allowed_by_default(classify_address(v4), config));
  }
  if (!config.rules.empty()) {
    FUZZ_CHECK(std::any_of(config.rules.begin(), config.rules.end(), [&](const PrincipalRule& rule) {
      return rule_matches(rule, who) && any_contains(rule.allow, address) &&
             (rule.ports.empty() ||
              std::any_of(rule.ports.begin(), rule.ports.end(), [&](const PortRange& r) { return r.contains(port); }));
    }));
  }
}

std::vector<Cidr> blocks_of(std::string_view list) {
  std::vector<Cidr> blocks;
  for (const auto item : split(list, ',')) {
    check_cidr(item);
    if (auto block = parse_cidr(item)) blocks.push_back(*block);
  }
  return blocks;
}

}  // namespace
}  // namespace sshrelay::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sshrelay;
  using namespace sshrelay::fuzz;
  TargetPolicyConfig config;
  std::vector<std::vector<std::string_view>> queries;
  for (auto line : lines_of(as_text(data, size))) {
    if (take_prefix(line, "options ")) {
      for (const auto word : split(line, ' ')) {
        if (word == "loopback") config.allow_loopback = true;
        if (word == "no-private") config.allow_private = false;
      }
    } else if (take_prefix(line, "allow ")) {
      config.allow = blocks_of(line);
    } else if (take_prefix(line, "deny ")) {
      config.deny = blocks_of(line);
    } else if (take_prefix(line, "ports ")) {
      if (auto ports = parse_port_ranges(line)) {
        for (const auto& range : *ports) FUZZ_CHECK(range.first >= 1 && range.first <= range.last);
        config.ports = std::move(*ports);
      }
    } else if (take_prefix(line, "rules ")) {
      if (auto rules = parse_principal_rules(line)) config.rules = std::move(*rules);
    } else {
      queries.push_back(split(line, ' '));
    }
  }
  const TargetPolicy policy(config);
  for (const auto& words : queries) {
    const std::string_view text = words[0];
    check_cidr(text);
    const auto v4 = parse_ipv4(text);
    if (v4) check_ipv4(text, *v4);
    const auto v6 = parse_ipv6(text);
    if (v6) check_ipv6(*v6);
    if (!v4 && !v6) continue;
    const auto port = words.size() > 1 ? parse_port(words[1]) : Result<std::uint16_t>(std::uint16_t{22});
    if (!port) continue;
    PrincipalView who{words.size() > 2 ? std::string(words[2]) : std::string("alice@example.com"), {}, {}};
    for (std::size_t i = 3; i < words.size(); ++i) who.groups.emplace_back(words[i]);
    const Ipv6Bytes address = v4 ? map_ipv4(*v4) : *v6;
    check_policy(policy, address, *port, who);
    if (v4) FUZZ_CHECK(policy.check(*v4, *port, who).ok() == policy.check(address, *port, who).ok());
  }
  return 0;
}
