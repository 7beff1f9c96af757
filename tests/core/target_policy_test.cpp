#include "core/policy/target_policy.hpp"

#include <gtest/gtest.h>

namespace sshrelay {
namespace {

const PrincipalView kAlice{"alice@example.com", {"sre"}};
const PrincipalView kBob{"bob@other.org", {}};

Ipv6Bytes v6(const char* text) { return *parse_ipv6(text); }

TEST(TargetPolicy, DefaultDeniesInternalClassesIncludingMappedForms) {
  TargetPolicy policy({});
  for (const char* address : {"::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "fe80::1", "::", "ff02::1",
                              "::ffff:0.0.0.0"}) {
    auto result = policy.check(v6(address), 22, kAlice);
    EXPECT_FALSE(result) << address;
  }
  EXPECT_FALSE(policy.check(Ipv4Bytes{127, 0, 0, 1}, 22, kAlice));
  EXPECT_FALSE(policy.check(Ipv4Bytes{169, 254, 169, 254}, 80, kAlice));
  EXPECT_FALSE(policy.check(Ipv4Bytes{0, 0, 0, 0}, 22, kAlice));
  EXPECT_TRUE(policy.check(Ipv4Bytes{93, 184, 216, 34}, 22, kAlice));
  EXPECT_TRUE(policy.check(Ipv4Bytes{10, 0, 0, 5}, 22, kAlice));  // private allowed by default
  auto denied = policy.check(Ipv4Bytes{127, 0, 0, 1}, 22, kAlice);
  EXPECT_NE(denied.error().message.find("127.0.0.1 port 22 is loopback"), std::string::npos) << denied.error().message;
}

// Issue #10 F3: IPv6 forms that carry an IPv4 address are judged by it, by class and by deny blocks.
TEST(TargetPolicy, DeniesIpv4CarriedBySiit6to4TeredoAndLocalNat64) {
  TargetPolicy policy({});
  for (const char* address : {"::ffff:0:127.0.0.1", "::ffff:0:169.254.169.254", "2002:7f00:1::", "2002:a9fe:a9fe::",
                              "2001:0:0808:0808:0:0:80ff:fffe", "2001:0:7f00:1:0:0:f7f7:f7f7", "64:ff9b:1::7f00:1"}) {
    EXPECT_FALSE(policy.check(v6(address), 22, kAlice)) << address;
  }
  EXPECT_TRUE(policy.check(v6("2002:0808:0808::1"), 22, kAlice));
  TargetPolicyConfig config;
  config.deny = {*parse_cidr("93.184.216.0/24")};
  TargetPolicy with_deny(config);
  EXPECT_FALSE(with_deny.check(v6("2002:5db8:d822::1"), 22, kAlice));    // 6to4 of 93.184.216.34
  EXPECT_FALSE(with_deny.check(v6("::ffff:0:93.184.216.34"), 22, kAlice));
  EXPECT_TRUE(with_deny.check(v6("2002:0808:0808::1"), 22, kAlice));
}

// Found by address_fuzz: one class for a Teredo address (its server's loopback) let a policy that allows
// loopback reach the client's link-local (metadata) address. Each carried address is judged itself.
TEST(TargetPolicy, JudgesATeredoServerAndClientEachByItself) {
  TargetPolicyConfig loopback_ok;
  loopback_ok.allow_loopback = true;
  EXPECT_FALSE(TargetPolicy(loopback_ok).check(v6("2001:0:7f00:1::5601:5601"), 22, kAlice));  // metadata client
  TargetPolicyConfig loopback_not_private = loopback_ok;
  loopback_not_private.allow_private = false;
  // Server 127.0.0.1, client 10.0.0.1 (~f5ff:fffe): loopback allowed, private not.
  auto verdict = TargetPolicy(loopback_not_private).check(v6("2001:0:7f00:1::f5ff:fffe"), 22, kAlice);
  ASSERT_FALSE(verdict);
  EXPECT_NE(verdict.error().message.find("private_network"), std::string::npos) << verdict.error().message;
  EXPECT_TRUE(TargetPolicy(loopback_ok).check(v6("2001:0:7f00:1::f5ff:fffe"), 22, kAlice));
}

TEST(TargetPolicy, SwitchesForLoopbackAndPrivate) {
  TargetPolicyConfig loopback_ok;
  loopback_ok.allow_loopback = true;
  TargetPolicy dev(loopback_ok);
  EXPECT_TRUE(dev.check(Ipv4Bytes{127, 0, 0, 1}, 22, kAlice));
  EXPECT_TRUE(dev.check(v6("::ffff:127.0.0.1"), 22, kAlice));
  TargetPolicyConfig no_private;
  no_private.allow_private = false;
  TargetPolicy strict(no_private);
  EXPECT_FALSE(strict.check(Ipv4Bytes{192, 168, 1, 1}, 22, kAlice));
}

TEST(TargetPolicy, DenyBlocksWinAndAllowBlocksRestrict) {
  TargetPolicyConfig config;
  config.allow = {*parse_cidr("10.0.0.0/8"), *parse_cidr("127.0.0.1")};
  config.deny = {*parse_cidr("10.9.0.0/16")};
  TargetPolicy policy(config);
  EXPECT_TRUE(policy.check(Ipv4Bytes{10, 1, 1, 1}, 22, kAlice));
  EXPECT_FALSE(policy.check(Ipv4Bytes{10, 9, 0, 1}, 22, kAlice));
  EXPECT_FALSE(policy.check(Ipv4Bytes{93, 184, 216, 34}, 22, kAlice));
  EXPECT_FALSE(policy.check(Ipv4Bytes{224, 0, 0, 1}, 22, kAlice));
}

// As in the Python relay: the built-in loopback and metadata denials win over an allow-list, and only
// --unsafe-allow-loopback opens loopback (link-local never).
TEST(TargetPolicy, BuiltInDenialsWinOverAnAllowList) {
  TargetPolicyConfig config;
  config.allow = {*parse_cidr("0.0.0.0/0"), *parse_cidr("::/0")};
  TargetPolicy broad(config);
  EXPECT_TRUE(broad.check(Ipv4Bytes{10, 1, 1, 1}, 22, kAlice));
  const auto loopback = broad.check(Ipv4Bytes{127, 0, 0, 1}, 22, kAlice);
  ASSERT_FALSE(loopback);
  EXPECT_NE(loopback.error().message.find("whatever the allow-list says"), std::string::npos) << loopback.error().message;
  EXPECT_FALSE(broad.check(v6("::1"), 22, kAlice));
  EXPECT_FALSE(broad.check(v6("::ffff:127.0.0.1"), 22, kAlice));
  EXPECT_FALSE(broad.check(Ipv4Bytes{169, 254, 169, 254}, 80, kAlice));
  EXPECT_FALSE(broad.check(v6("fe80::1"), 22, kAlice));
  config.allow_loopback = true;
  TargetPolicy unsafe(config);
  EXPECT_TRUE(unsafe.check(Ipv4Bytes{127, 0, 0, 1}, 22, kAlice));
  EXPECT_FALSE(unsafe.check(Ipv4Bytes{169, 254, 169, 254}, 80, kAlice));
}

TEST(TargetPolicy, PortListsApply) {
  TargetPolicyConfig config;
  config.ports = *parse_port_ranges("22, 2200-2299");
  TargetPolicy policy(config);
  EXPECT_TRUE(policy.check(Ipv4Bytes{93, 184, 216, 34}, 22, kAlice));
  EXPECT_TRUE(policy.check(Ipv4Bytes{93, 184, 216, 34}, 2250, kAlice));
  EXPECT_FALSE(policy.check(Ipv4Bytes{93, 184, 216, 34}, 80, kAlice));
  EXPECT_FALSE(parse_port_ranges("22-21"));
  EXPECT_FALSE(parse_port_ranges("0"));
  EXPECT_FALSE(parse_port_ranges("ssh"));
}

TEST(TargetPolicy, PrincipalRulesFromJson) {
  auto rules = parse_principal_rules(R"({"rules":[
      {"principals":["*@example.com"],"allow":["10.1.0.0/16"],"ports":"22"},
      {"principals":["group:dba"],"allow":["10.2.0.0/16"]}]})");
  ASSERT_TRUE(rules) << rules.error().message;
  TargetPolicyConfig config;
  config.rules = *rules;
  TargetPolicy policy(config);
  EXPECT_TRUE(policy.check(Ipv4Bytes{10, 1, 2, 3}, 22, kAlice));
  EXPECT_FALSE(policy.check(Ipv4Bytes{10, 1, 2, 3}, 23, kAlice));
  EXPECT_FALSE(policy.check(Ipv4Bytes{10, 2, 2, 3}, 5432, kAlice));
  EXPECT_FALSE(policy.check(Ipv4Bytes{10, 1, 2, 3}, 22, kBob));
  const PrincipalView dba{"carol@x.org", {"dba"}, {}};
  EXPECT_TRUE(policy.check(Ipv4Bytes{10, 2, 2, 3}, 5432, dba));
  auto refused = policy.check(Ipv4Bytes{10, 1, 2, 3}, 22, kBob);
  EXPECT_NE(refused.error().message.find("not allowed for bob@other.org"), std::string::npos);
}

TEST(TargetPolicy, RulesFileErrorsNameTheRule) {
  EXPECT_FALSE(parse_principal_rules("[]"));
  auto bad = parse_principal_rules(R"({"rules":[{"principals":["*"],"allow":["10.0.0.1/8"]}]})");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("rule 0: "), std::string::npos) << bad.error().message;
  EXPECT_FALSE(parse_principal_rules(R"({"rules":[{"allow":[]}]})"));
}

}  // namespace
}  // namespace sshrelay
