#include "core/policy/origin_policy.hpp"

#include <gtest/gtest.h>

namespace sshrelay {
namespace {

OriginPolicy policy_with(std::vector<std::string> allowed, std::string public_host = "", std::uint16_t public_port = 0,
                         std::vector<std::string> names = {}) {
  return OriginPolicy({std::move(allowed), std::move(public_host), public_port, false}, HostPolicy(names));
}

TEST(OriginPolicy, AllowsListedOriginsCaseInsensitively) {
  auto policy = policy_with({std::string(kSecureShellOrigin)});
  EXPECT_TRUE(policy.allows("chrome-extension://iodihamcpbpeioajjeobimgagajmlibd", "relay:443"));
  EXPECT_TRUE(policy.allows("CHROME-EXTENSION://IODIHAMCPBPEIOAJJEOBIMGAGAJMLIBD", "relay:443"));
  EXPECT_FALSE(policy.allows("chrome-extension://algkcnfjnajfhgimadimbjhmpaeohhln", "relay:443"));
  EXPECT_FALSE(policy.allows("https://evil.example", "relay:443"));
}

TEST(OriginPolicy, AllowsTheRelaysOwnPagesAndNonBrowsers) {
  auto policy = policy_with({}, "relay.example.com", 443, {"relay.example.com"});
  EXPECT_TRUE(policy.allows("http://127.0.0.1:8080", "127.0.0.1:8080"));
  EXPECT_TRUE(policy.allows("https://Relay.Example.com", "relay.example.com"));
  EXPECT_TRUE(policy.allows("https://relay.example.com", "127.0.0.1:8080"));  // behind a proxy that rewrites Host
  EXPECT_TRUE(policy.allows("http://localhost:8080", "localhost:8080"));
  EXPECT_TRUE(policy.allows("http://[::1]:8080", "[::1]:8080"));
  EXPECT_FALSE(policy.allows("http://127.0.0.1:8081", "127.0.0.1:8080"));
  EXPECT_FALSE(policy.allows("http://127.0.0.1:8080", ""));
  EXPECT_TRUE(policy.allows("", "127.0.0.1:8080"));  // no Origin: not a browser
}

// Issue #10 F5: a page on a name the attacker owns, rebound to the relay's address, sends an Origin that
// matches its Host. Own origins come from the configuration and from names the relay answers to.
TEST(OriginPolicy, RefusesADnsRebindingPageWhoseOriginMatchesItsHost) {
  auto dev = policy_with({}, "127.0.0.1", 8080);
  EXPECT_FALSE(dev.allows("http://rebind.example:8080", "rebind.example:8080"));
  EXPECT_FALSE(dev.allows("http://127.0.0.1.nip.io:8080", "127.0.0.1.nip.io:8080"));
  EXPECT_TRUE(dev.allows("http://127.0.0.1:8080", "127.0.0.1:8080"));
  auto named = policy_with({}, "relay.example.com", 443, {"relay.example.com"});
  EXPECT_FALSE(named.allows("https://relay.example.com.evil.example", "relay.example.com.evil.example"));
}

TEST(OriginPolicy, RequireOriginRefusesClientsWithout) {
  OriginPolicy strict({{}, "relay.example.com", 443, true}, HostPolicy());
  EXPECT_FALSE(strict.allows("", "relay.example.com"));
  EXPECT_TRUE(strict.allows("https://relay.example.com", "relay.example.com"));
}

TEST(OriginPolicy, StarAllowsAny) {
  auto policy = policy_with({"*"});
  EXPECT_TRUE(policy.allows("https://anything.example", "relay"));
}

TEST(OriginPolicy, OriginOfOmitsDefaultPortsAndBracketsIpv6) {
  EXPECT_EQ(origin_of("https", "Relay.Example.com", 443), "https://relay.example.com");
  EXPECT_EQ(origin_of("http", "relay", 443), "http://relay:443");
  EXPECT_EQ(origin_of("http", "::1", 8080), "http://[::1]:8080");
}

TEST(HostPolicy, AnswersOnlyToItsNamesIpLiteralsAndLocalhost) {
  HostPolicy hosts({"relay.example.com", "Relay-Internal.corp"});
  for (const char* ok : {"relay.example.com", "RELAY.example.com:443", "relay-internal.corp:8080", "127.0.0.1:8080",
                         "[::1]:8080", "10.1.2.3", "localhost:8080", "localhost"}) {
    EXPECT_TRUE(hosts.answers_to(ok)) << ok;
  }
  for (const char* bad : {"", "rebind.example:8080", "relay.example.com.evil.example", "example.com", "relay.example",
                          "relay.example.com:99999", "a b", "[::1"}) {
    EXPECT_FALSE(hosts.answers_to(bad)) << bad;
  }
}

}  // namespace
}  // namespace sshrelay
