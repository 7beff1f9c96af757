// What a proxy-call may fetch: the allow list, the refused address ranges, and the checks in sshttpd's
// order and words.
#include <gtest/gtest.h>

#include "core/sshweb/proxy_rules.hpp"

namespace sshrelay::sshweb {
namespace {

ProxyCacheConfig allowing(std::vector<std::string> allow, bool deny_all = false) {
  ProxyCacheConfig config;
  config.allow = std::move(allow);
  config.deny_all = deny_all;
  return config;
}

std::string refusal(const ProxyCacheConfig& config, std::string_view text, bool redirect = false) {
  auto url = parse_proxy_url(text);
  if (!url) return url.error().message;
  auto checked = check_proxy_url(config, *url, redirect);
  return checked ? "" : checked.error().message;
}

TEST(SshWebProxyRules, MatchesAllowEntriesExactlyBySuffixOrAll) {
  const auto config = allowing({"cdn.example.org", "*.static.example.net", "api.example.com:8443"});
  EXPECT_TRUE(origin_allowed(config, "cdn.example.org"));
  EXPECT_TRUE(origin_allowed(config, "CDN.Example.ORG")) << "names have no case";
  EXPECT_FALSE(origin_allowed(config, "cdn.example.org:443")) << "host[:port] as the URL writes it";
  EXPECT_FALSE(origin_allowed(config, "evil-cdn.example.org"));
  EXPECT_TRUE(origin_allowed(config, "img.static.example.net"));
  EXPECT_TRUE(origin_allowed(config, "a.b.static.example.net"));
  EXPECT_FALSE(origin_allowed(config, "static.example.net")) << "*.suffix needs something before the dot";
  EXPECT_FALSE(origin_allowed(config, "evilstatic.example.net"));
  EXPECT_FALSE(origin_allowed(config, "img.static.example.net:8080")) << "a port is part of what is matched";
  EXPECT_TRUE(origin_allowed(config, "api.example.com:8443"));
  EXPECT_FALSE(origin_allowed(config, "api.example.com"));

  EXPECT_TRUE(origin_allowed(allowing({"*"}), "anything.example:1234"));
  EXPECT_FALSE(origin_allowed(allowing({"*"}, true), "anything.example")) << "deny * cancels *";
  EXPECT_TRUE(origin_allowed(allowing({"*", "cdn.example.org"}, true), "cdn.example.org")) << "but not the other entries";
  EXPECT_FALSE(origin_allowed(allowing({}), "cdn.example.org"));
}

TEST(SshWebProxyRules, RefusesPrivateAndReservedIpv4Ranges) {
  for (const char* address : {"0.0.0.0", "0.1.2.3", "10.0.0.1", "100.64.0.1", "100.127.255.255", "127.0.0.1", "127.255.0.9",
                              "169.254.169.254", "172.16.0.1", "172.31.255.255", "192.0.0.8", "192.0.2.1", "192.168.1.1",
                              "198.18.0.1", "198.19.255.255", "198.51.100.7", "203.0.113.9", "224.0.0.1", "239.255.255.255",
                              "240.0.0.1", "255.255.255.255"}) {
    EXPECT_TRUE(is_non_public_address(address)) << address;
  }
  for (const char* address : {"1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0",
                              "192.0.1.1", "198.17.255.255", "198.20.0.0", "223.255.255.255", "93.184.216.34"}) {
    EXPECT_FALSE(is_non_public_address(address)) << address;
  }
}

TEST(SshWebProxyRules, RefusesPrivateAndReservedIpv6RangesAndWhatCarriesThem) {
  for (const char* address : {"::", "::1", "fc00::1", "fd12:3456::1", "fe80::1", "febf::1", "fec0::1", "ff02::1",
                              "2001:db8::1", "100::1", "64:ff9b::1.1.1.1", "64:ff9b::10.0.0.1", "64:ff9b:1::1",
                              "::ffff:127.0.0.1", "::ffff:10.1.2.3", "2002:7f00:1::", "2001:0:4136:e378:8000:63bf:80ff:fffe",
                              "::127.0.0.1"}) {
    EXPECT_TRUE(is_non_public_address(address)) << address;
  }
  for (const char* address : {"2606:4700:4700::1111", "2a00:1450:4001::200e", "::ffff:8.8.8.8", "2002:0808:0808::"}) {
    EXPECT_FALSE(is_non_public_address(address)) << address;
  }
  EXPECT_FALSE(is_non_public_address("localhost")) << "a name is resolved first, then its addresses are asked about";
}

TEST(SshWebProxyRules, ChecksAUrlInSshttpdsOrderAndWords) {
  const auto config = allowing({"cdn.example.org", "127.0.0.1:8000", "[::1]:8000", "10.0.0.5"});
  EXPECT_EQ(refusal(config, "https://cdn.example.org/app.js"), "");
  EXPECT_EQ(refusal(config, "ftp://cdn.example.org/app.js"), "disallowed URL scheme: ftp");
  EXPECT_EQ(refusal(config, "http://me:pw@cdn.example.org/"), "URL with userinfo rejected");
  EXPECT_EQ(refusal(config, "http:///path"), "URL missing host");
  EXPECT_EQ(refusal(config, "http://other.example.org/"), "origin not in allowlist: other.example.org");
  EXPECT_EQ(refusal(config, "http://127.0.0.1:8000/"), "blocked: URL resolves to non-public address 127.0.0.1");
  EXPECT_EQ(refusal(config, "http://[::1]:8000/"), "blocked: URL resolves to non-public address ::1");
  EXPECT_EQ(refusal(config, "http://10.0.0.5/"), "blocked: URL resolves to non-public address 10.0.0.5");
  EXPECT_EQ(refusal(config, "http://127.0.0.1:9000/"), "origin not in allowlist: 127.0.0.1:9000") << "the list first";

  auto open = config;
  open.allow_private_ips = true;
  EXPECT_EQ(refusal(open, "http://127.0.0.1:8000/"), "");
  EXPECT_EQ(refusal(open, "http://[::1]:8000/x"), "");

  EXPECT_EQ(refusal(config, "javascript:alert(1)", true), "redirect to disallowed scheme: javascript");
  EXPECT_EQ(refusal(config, "http://u@cdn.example.org/", true), "redirect with userinfo rejected");
  EXPECT_EQ(refusal(config, "http://other.example.org/", true), "redirect host not in allowlist: other.example.org");
}

TEST(SshWebProxyRules, FollowsTheRedirectStatusesGoFollows) {
  for (unsigned status : {301u, 302u, 303u, 307u, 308u}) EXPECT_TRUE(is_followed_redirect(status)) << status;
  for (unsigned status : {200u, 300u, 304u, 305u, 306u, 404u}) EXPECT_FALSE(is_followed_redirect(status)) << status;
}

}  // namespace
}  // namespace sshrelay::sshweb
