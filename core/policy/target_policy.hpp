#pragma once
// Which addresses and ports a principal may reach (design.md §5). Users pick any host:port, so by
// default the relay refuses what would turn it into a way into its own network: loopback, link-local
// (cloud metadata at 169.254.169.254), multicast, unspecified and reserved addresses, including their
// IPv4-mapped forms. The caller resolves the name once, asks about every address, and dials only an
// address that was allowed (no second lookup: DNS rebinding cannot swap one in).
//
// Order of the checks, first match decides:
//  1. unspecified and multicast: always denied;
//  (an IPv6 address that carries IPv4 addresses — 6to4, Teredo, SIIT, NAT64, mapped — is judged in
//  steps 1, 3 and 4 by each carried address, every one of which must pass);
//  2. the global port list, when set: the port must be on it;
//  3. deny blocks: denied (also when an IPv4 address an IPv6 form carries is in one);
//  4. allow blocks, when set: only addresses in them are allowed (an explicit block also admits a
//     loopback or private address); when none are set, the address class decides (loopback per
//     allow_loopback, private per allow_private, public allowed, the rest denied);
//  5. principal rules, when any are configured: some rule matching the principal must contain the
//     address and allow the port.
#include <cstdint>
#include <string>
#include <vector>

#include "core/policy/cidr.hpp"
#include "core/common/result.hpp"

namespace sshrelay {

struct PortRange {
  std::uint16_t first;
  std::uint16_t last;
  bool contains(std::uint16_t port) const { return port >= first && port <= last; }
};

// "22", "2200-2299", or a comma-separated list of those.
Result<std::vector<PortRange>> parse_port_ranges(std::string_view text);

// Who is asking: the principal's name (email or subject), its groups claim and its OAuth scopes (the
// "scope" claim split on spaces, else the "scp" array), if any.
struct PrincipalView {
  std::string name;
  std::vector<std::string> groups;
  std::vector<std::string> scopes;
};

struct PrincipalRule {
  // "alice@example.com" (exact), "*@example.com" (domain), "group:sre" (member of a group),
  // "scope:relay:admin" (a token granted that scope), "*" (anyone).
  std::vector<std::string> principals;
  std::vector<Cidr> allow;
  std::vector<PortRange> ports;  // empty: any port
};

struct TargetPolicyConfig {
  bool allow_loopback = false;
  bool allow_private = true;
  std::vector<Cidr> allow;
  std::vector<Cidr> deny;
  std::vector<PortRange> ports;  // empty: any port
  std::vector<PrincipalRule> rules;
};

// The policy file: {"rules":[{"principals":["*@example.com"],"allow":["10.0.0.0/8"],"ports":"22,2222"}],
// "rendezvous_admins":["group:sre"]}. Either key may be left out, not both.
Result<std::vector<PrincipalRule>> parse_principal_rules(std::string_view json_text);
// Who may mint, list and revoke rendezvous sessions: principal patterns as in a rule (empty when unset).
Result<std::vector<std::string>> parse_rendezvous_admins(std::string_view json_text);

class TargetPolicy {
 public:
  explicit TargetPolicy(TargetPolicyConfig config) : config_(std::move(config)) {}

  // Ok, or a local error whose message says why (shown to the user as the close reason, and audited).
  Status check(const Ipv6Bytes& address, std::uint16_t port, const PrincipalView& principal) const;
  Status check(const Ipv4Bytes& address, std::uint16_t port, const PrincipalView& principal) const;

  const TargetPolicyConfig& config() const { return config_; }

 private:
  // Without allow blocks: public yes, private and loopback per their switches, the rest never.
  bool allowed_by_class(AddressClass kind) const;

  TargetPolicyConfig config_;
};

bool rule_matches(const PrincipalRule& rule, const PrincipalView& principal);

}  // namespace sshrelay
