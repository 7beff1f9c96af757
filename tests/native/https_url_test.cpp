// The one HTTPS URL parser behind the JWKS cache, OIDC discovery and the audit sinks: what each caller's
// rules let through, and a refusal in words for everything else.
#include "native/daemon/https_url.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sshrelay::daemon {
namespace {

using ::testing::HasSubstr;

TEST(HttpsUrlTest, HostPortTargetAndTheHostHeader) {
  auto url = parse_https_url("https://hec.example.com:8088/services/collector/event");
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_EQ(url->host, "hec.example.com");
  EXPECT_EQ(url->port, 8088);
  EXPECT_EQ(url->target, "/services/collector/event");
  EXPECT_FALSE(url->host_is_ip);
  EXPECT_EQ(url->authority(), "hec.example.com:8088");
  EXPECT_EQ(url->host_header(), "hec.example.com:8088");
  EXPECT_EQ(url->text, "https://hec.example.com:8088/services/collector/event");

  auto plain = parse_https_url("https://idp.example.com");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->port, 443);
  EXPECT_EQ(plain->target, "/");
  EXPECT_EQ(plain->host_header(), "idp.example.com");  // the default port is left out
  EXPECT_EQ(plain->authority(), "idp.example.com:443");
}

TEST(HttpsUrlTest, IpHostsAreMarkedAndIpv6IsBracketedWhereItIsWritten) {
  auto v4 = parse_https_url("https://192.0.2.7/x");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->host_is_ip);
  auto v6 = parse_https_url("https://[2001:db8::1]:8443/x");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->host_is_ip);
  EXPECT_EQ(v6->host, "2001:db8::1");
  EXPECT_EQ(v6->authority(), "[2001:db8::1]:8443");
  EXPECT_EQ(v6->host_header(), "[2001:db8::1]:8443");
}

TEST(HttpsUrlTest, AnEmptyPathBecomesTheCallersDefault) {
  auto url = parse_https_url("https://fw.example.com/", {.default_path = "/api/"});
  ASSERT_TRUE(url);
  EXPECT_EQ(url->target, "/api/");
  auto given = parse_https_url("https://fw.example.com/custom", {.default_path = "/api/"});
  ASSERT_TRUE(given);
  EXPECT_EQ(given->target, "/custom");
}

TEST(HttpsUrlTest, AQueryOnlyWhereTheCallerAllowsOne) {
  auto refused = parse_https_url("https://hec.example.com/collector?token=secret");
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("must not have a query string"));

  auto allowed = parse_https_url("https://idp.example.com/keys?tenant=a%20b", {.allow_query = true});
  ASSERT_TRUE(allowed) << allowed.error().message;
  EXPECT_EQ(allowed->target, "/keys?tenant=a%20b");
  auto root = parse_https_url("https://idp.example.com?tenant=x", {.allow_query = true});
  ASSERT_TRUE(root);
  EXPECT_EQ(root->target, "/?tenant=x");
}

TEST(HttpsUrlTest, RefusalsNameWhatIsWrong) {
  const struct {
    const char* text;
    const char* says;
  } cases[] = {
      {"not a url", "is not a URL"},
      {"http://idp.example.com/jwks", "is not an https:// URL"},
      {"https://user:pw@idp.example.com/jwks", "must not carry user info"},
      {"https://idp.example.com/jwks#frag", "must not have a fragment"},
      {"https:///jwks", "has no host"},
      {"https://idp.example.com:0/jwks", "has a bad port"},
  };
  for (const auto& c : cases) {
    auto url = parse_https_url(c.text, {.allow_query = true});
    ASSERT_FALSE(url) << c.text;
    EXPECT_THAT(url.error().message, HasSubstr(c.says)) << c.text;
    EXPECT_THAT(url.error().message, HasSubstr("\"")) << "the message quotes the URL: " << c.text;
  }
}

}  // namespace
}  // namespace sshrelay::daemon
