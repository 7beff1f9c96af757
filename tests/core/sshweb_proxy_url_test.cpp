// proxy-call's URLs taken apart, and where a redirect's Location leads.
#include <gtest/gtest.h>

#include "core/sshweb/proxy_url.hpp"

namespace sshrelay::sshweb {
namespace {

ProxyUrl parsed(std::string_view text) {
  auto url = parse_proxy_url(text);
  EXPECT_TRUE(url) << text << ": " << url.error().message;
  return url ? *url : ProxyUrl{};
}

TEST(SshWebProxyUrl, TakesAUrlApart) {
  const auto url = parsed("HTTPS://CDN.Example.org:8443/lib/app.js?v=2#top");
  EXPECT_EQ(url.scheme, "https");
  EXPECT_TRUE(url.tls());
  EXPECT_FALSE(url.has_userinfo);
  EXPECT_EQ(url.host, "cdn.example.org");
  EXPECT_EQ(url.authority, "cdn.example.org:8443");
  EXPECT_EQ(url.port, 8443);
  EXPECT_EQ(url.target, "/lib/app.js?v=2") << "the fragment is never sent";
  EXPECT_EQ(url.text(), "https://cdn.example.org:8443/lib/app.js?v=2");

  const auto bare = parsed("http://example.org");
  EXPECT_EQ(bare.port, 80);
  EXPECT_EQ(bare.authority, "example.org");
  EXPECT_EQ(bare.target, "/");
  EXPECT_EQ(parsed("http://example.org?q=1").target, "/?q=1");
  EXPECT_EQ(parsed("https://example.org/").port, 443);
  EXPECT_EQ(parsed("http://example.org:/x").port, 80) << "an empty port is the scheme's";
}

TEST(SshWebProxyUrl, KeepsIpv6BracketsInTheAuthorityOnly) {
  const auto url = parsed("http://[::1]:8080/x");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.authority, "[::1]:8080");
  EXPECT_EQ(url.port, 8080);
  EXPECT_EQ(parsed("http://[2001:DB8::1]/").host, "2001:db8::1");
}

TEST(SshWebProxyUrl, NotesAUserNameAndOtherSchemesForTheRules) {
  const auto url = parsed("http://user:secret@example.org/");
  EXPECT_TRUE(url.has_userinfo);
  EXPECT_EQ(url.host, "example.org");
  EXPECT_EQ(url.authority, "example.org");
  EXPECT_EQ(parsed("ftp://example.org/file").scheme, "ftp");
  EXPECT_EQ(parsed("file:///etc/passwd").host, "");
}

TEST(SshWebProxyUrl, RefusesWhatIsNotAUrl) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"example.org/x", "invalid URL: 'example.org/x' has no scheme (write http://host/path)"},
      {"/relative", "invalid URL: '/relative' has no scheme (write http://host/path)"},
      {"http://exa mple.org/", "invalid URL: bad host 'exa mple.org'"},
      {"http://ex%61mple.org/", "invalid URL: bad host 'ex%61mple.org'"},
      {"http://example.org:99999/", "invalid URL: bad port '99999'"},
      {"http://example.org:0/", "invalid URL: bad port '0'"},
      {"http://example.org:8o/", "invalid URL: bad port '8o'"},
      {"http://[::1/", "invalid URL: '[' without ']' in the host"},
      {"http://[fe80::1%25eth0]/", "invalid URL: 'fe80::1%25eth0' is not an IPv6 address"},
      {"http://[::1]x/", "invalid URL: bad host '[::1]x'"},
      {"http://::1/", "invalid URL: bad port ':1'"},
  };
  for (const auto& [text, message] : cases) {
    auto url = parse_proxy_url(text);
    ASSERT_FALSE(url) << text;
    EXPECT_EQ(url.error().message, message) << text;
  }
}

TEST(SshWebProxyUrl, EncodesWhatARequestLineCannotCarry) {
  EXPECT_EQ(parsed("http://example.org/a b\r\nX-Evil: 1").target, "/a%20b%0D%0AX-Evil:%201");
  EXPECT_EQ(parsed("http://example.org/caf\xc3\xa9").target, "/caf%C3%A9");
  EXPECT_EQ(parsed("http://example.org/%41?x=%2F").target, "/%41?x=%2F") << "what is encoded stays as it is";
}

TEST(SshWebProxyUrl, ResolvesLocationsAsRfc3986Does) {
  const auto base = parsed("https://cdn.example.org:8443/lib/v1/app.js?v=2");
  EXPECT_EQ(resolve_location(base, "http://other.example/x"), "http://other.example/x");
  EXPECT_EQ(resolve_location(base, "//mirror.example/y"), "https://mirror.example/y");
  EXPECT_EQ(resolve_location(base, "/root/./z/../file"), "https://cdn.example.org:8443/root/file");
  EXPECT_EQ(resolve_location(base, "next.js"), "https://cdn.example.org:8443/lib/v1/next.js");
  EXPECT_EQ(resolve_location(base, "../v2/app.js?v=3"), "https://cdn.example.org:8443/lib/v2/app.js?v=3");
  EXPECT_EQ(resolve_location(base, "../../../../up"), "https://cdn.example.org:8443/up") << "never above the root";
  EXPECT_EQ(resolve_location(base, ".."), "https://cdn.example.org:8443/lib/");
  EXPECT_EQ(resolve_location(base, "?v=9"), "https://cdn.example.org:8443/lib/v1/app.js?v=9");
  EXPECT_EQ(resolve_location(base, "#part"), "https://cdn.example.org:8443/lib/v1/app.js?v=2#part");
  EXPECT_EQ(resolve_location(base, "  /spaced \r"), "https://cdn.example.org:8443/spaced");
  EXPECT_EQ(resolve_location(base, "ftp://files.example/a"), "ftp://files.example/a") << "the rules refuse it";
  EXPECT_EQ(resolve_location(parsed("http://[::1]:81/a/b"), "c"), "http://[::1]:81/a/c");
}

}  // namespace
}  // namespace sshrelay::sshweb
