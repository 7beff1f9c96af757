#include "core/nassh/nassh_cookie.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "core/common/base64.hpp"

namespace sshrelay {
namespace {

constexpr const char* kStableId = "iodihamcpbpeioajjeobimgagajmlibd";
constexpr const char* kDevId = "algkcnfjnajfhgimadimbjhmpaeohhln";

CookieRequest extension_request() {
  CookieRequest request;
  request.ext = kStableId;
  request.path = "html/nassh_google_relay.html";
  request.public_host = "relay.example.com";
  request.public_port = 443;
  return request;
}

std::string redirect_url(const CookieRequest& request) {
  auto answer = answer_cookie(request);
  EXPECT_TRUE(answer.ok()) << (answer.ok() ? "" : answer.error().message);
  if (!answer.ok()) return {};
  const auto* redirect = std::get_if<CookieRedirect>(&*answer);
  EXPECT_NE(redirect, nullptr);
  return redirect ? redirect->url : std::string();
}

std::string json_body(const CookieRequest& request) {
  auto answer = answer_cookie(request);
  EXPECT_TRUE(answer.ok()) << (answer.ok() ? "" : answer.error().message);
  if (!answer.ok()) return {};
  const auto* json = std::get_if<CookieJson>(&*answer);
  EXPECT_NE(json, nullptr);
  return json ? json->body : std::string();
}

Error error_of(const CookieRequest& request) {
  auto answer = answer_cookie(request);
  EXPECT_FALSE(answer.ok());
  return answer.ok() ? Error{ErrorKind::local, ""} : answer.error();
}

// What nassh_google_relay_html.js does with a v2 fragment: base64url -> JSON.
nlohmann::json decode_v2_fragment(const std::string& url) {
  const auto hash = url.find('#');
  EXPECT_NE(hash, std::string::npos);
  const auto bytes = base64url_decode(std::string_view(url).substr(hash + 1));
  EXPECT_TRUE(bytes.ok());
  if (!bytes.ok()) return {};
  return nlohmann::json::parse(bytes->begin(), bytes->end());
}

TEST(NasshCookie, V1FragmentIsUserAtHostPort) {
  auto request = extension_request();
  request.version = "1";
  request.user = "alice";
  EXPECT_EQ(
      redirect_url(request),
      "chrome-extension://iodihamcpbpeioajjeobimgagajmlibd/html/nassh_google_relay.html#alice@relay.example.com:443");
}

TEST(NasshCookie, V1UserIsPercentEncoded) {
  // The extension reads the host after the first '@', so an e-mail principal must not add another.
  auto request = extension_request();
  request.version = "1";
  request.user = "alice@example.com";
  EXPECT_EQ(redirect_url(request),
            "chrome-extension://iodihamcpbpeioajjeobimgagajmlibd/html/"
            "nassh_google_relay.html#alice%40example.com@relay.example.com:443");
  request.user = "a b:c/#<>";
  EXPECT_EQ(redirect_url(request),
            "chrome-extension://iodihamcpbpeioajjeobimgagajmlibd/html/"
            "nassh_google_relay.html#a%20b%3Ac%2F%23%3C%3E@relay.example.com:443");
}

TEST(NasshCookie, V1WithoutUserStillHasTheAtSign) {
  auto request = extension_request();
  request.version = "1";
  request.public_port = 8443;
  EXPECT_EQ(redirect_url(request),
            "chrome-extension://iodihamcpbpeioajjeobimgagajmlibd/html/nassh_google_relay.html#@relay.example.com:8443");
}

TEST(NasshCookie, V2FragmentIsBase64UrlJson) {
  auto request = extension_request();
  request.ext = kDevId;
  request.version = "2";
  request.method = "js-redirect";
  request.user = "alice@example.com";
  const std::string url = redirect_url(request);
  // base64url('{"endpoint":"relay.example.com:443"}')
  EXPECT_EQ(url,
            "chrome-extension://algkcnfjnajfhgimadimbjhmpaeohhln/html/nassh_google_relay.html"
            "#eyJlbmRwb2ludCI6InJlbGF5LmV4YW1wbGUuY29tOjQ0MyJ9");
  EXPECT_EQ(url.find('@'), std::string::npos) << "an '@' would make the extension read it as v1";
  EXPECT_EQ(url.find('='), std::string::npos);
  EXPECT_EQ(decode_v2_fragment(url), (nlohmann::json{{"endpoint", "relay.example.com:443"}}));
}

TEST(NasshCookie, PathDefaultsToTheRelayPage) {
  auto request = extension_request();
  request.path.reset();
  request.version = "2";
  const std::string url = redirect_url(request);
  EXPECT_EQ(url.rfind("chrome-extension://iodihamcpbpeioajjeobimgagajmlibd/html/nassh_google_relay.html#", 0), 0u)
      << url;
}

TEST(NasshCookie, HostIsNormalized) {
  auto request = extension_request();
  request.public_host = "Relay.Example.COM";
  request.version = "2";
  EXPECT_EQ(decode_v2_fragment(redirect_url(request)), (nlohmann::json{{"endpoint", "relay.example.com:443"}}));
}

TEST(NasshCookie, DirectReturnsXssiPrefixedJson) {
  CookieRequest request;  // Terminal sends neither ext nor path.
  request.version = "2";
  request.method = "direct";
  request.public_host = "relay.example.com";
  request.public_port = 8443;
  EXPECT_EQ(json_body(request), ")]}'\n{\"endpoint\":\"relay.example.com:8443\"}");
}

TEST(NasshCookie, DirectBracketsIpv6) {
  CookieRequest request;
  request.version = "2";
  request.method = "direct";
  request.public_host = "2001:db8::1";
  EXPECT_EQ(json_body(request), ")]}'\n{\"endpoint\":\"[2001:db8::1]:443\"}");
  request.public_host = "[2001:DB8::2]";
  EXPECT_EQ(json_body(request), ")]}'\n{\"endpoint\":\"[2001:db8::2]:443\"}");
}

TEST(NasshCookie, DirectStillChecksExtAndPathWhenGiven) {
  CookieRequest request;
  request.version = "2";
  request.method = "direct";
  request.public_host = "relay.example.com";
  request.ext = "nope";
  EXPECT_EQ(error_of(request).kind, ErrorKind::remote_protocol);
  request.ext = kStableId;
  request.path = "../evil";
  EXPECT_EQ(error_of(request).kind, ErrorKind::remote_protocol);
}

TEST(NasshCookie, CloseMethodClosesThePopup) {
  CookieRequest request;
  request.version = "2";
  request.method = "close";
  auto answer = answer_cookie(request);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_TRUE(std::holds_alternative<CookieClose>(*answer));
}

TEST(NasshCookie, RejectsBadExt) {
  auto request = extension_request();
  request.ext.reset();
  EXPECT_EQ(error_of(request).message, "ext is missing (the id of the extension to return to)");
  EXPECT_EQ(error_of(request).kind, ErrorKind::remote_protocol);

  request.ext = "iodihamcpbpeioajjeobimgagajmlibz";  // 'z' is outside a-p
  EXPECT_EQ(error_of(request).message,
            "ext \"iodihamcpbpeioajjeobimgagajmlibz\" is not a Chrome extension id (32 letters a-p)");
  request.ext = "iodihamcpbpeioajjeobimgagajmlib";  // 31
  EXPECT_FALSE(answer_cookie(request).ok());
  request.ext = "iodihamcpbpeioajjeobimgagajmlibdd";  // 33
  EXPECT_FALSE(answer_cookie(request).ok());
  request.ext = "IODIHAMCPBPEIOAJJEOBIMGAGAJMLIBD";
  EXPECT_FALSE(answer_cookie(request).ok());
  request.ext = "evil.example.com/";
  EXPECT_FALSE(answer_cookie(request).ok());
  request.ext = "";
  EXPECT_FALSE(answer_cookie(request).ok());
}

TEST(NasshCookie, RejectsPathsOtherThanTheTwoPages) {
  auto request = extension_request();
  for (const char* path : {"/html/nassh_google_relay.html", "html/nassh_google_relay.html?x", "html/nassh.html#x",
                           "../html/nassh_google_relay.html", "", "//evil.example.com/", "html/NASSH.html"}) {
    request.path = path;
    const Error error = error_of(request);
    EXPECT_EQ(error.kind, ErrorKind::remote_protocol) << path;
    EXPECT_NE(error.message.find("is not allowed (only \"html/nassh_google_relay.html\" or \"html/nassh.html\")"),
              std::string::npos)
        << error.message;
  }
}

// The Python relay's two pages, and its default of v2 when no version is given.
TEST(NasshCookie, TheMainPageAndV2ByDefault) {
  auto request = extension_request();
  request.path = "html/nassh.html";
  request.version.reset();
  const std::string url = redirect_url(request);
  EXPECT_EQ(url.rfind("chrome-extension://iodihamcpbpeioajjeobimgagajmlibd/html/nassh.html#", 0), 0u) << url;
  EXPECT_EQ(decode_v2_fragment(url), (nlohmann::json{{"endpoint", "relay.example.com:443"}}));
}

TEST(NasshCookie, RejectsUnknownVersionAndMethod) {
  auto request = extension_request();
  request.version = "3";
  EXPECT_EQ(error_of(request).message, "version \"3\" is not supported (use 1 or 2, or leave it out)");
  request.version = "";
  EXPECT_FALSE(answer_cookie(request).ok());
  request.version = "2";
  request.method = "redirect";
  EXPECT_EQ(error_of(request).message, "method \"redirect\" is not supported (use js-redirect, direct or close)");
  request.method = "";
  EXPECT_FALSE(answer_cookie(request).ok());
}

TEST(NasshCookie, ErrorMessagesQuoteHostileTextSafely) {
  auto request = extension_request();
  request.version = "<script>\n";
  EXPECT_EQ(error_of(request).message, "version \"<script>\\x0a\" is not supported (use 1 or 2, or leave it out)");
}

TEST(NasshCookie, BadPublicEndpointIsALocalError) {
  auto request = extension_request();
  request.public_host = "bad host";
  Error error = error_of(request);
  EXPECT_EQ(error.kind, ErrorKind::local);
  EXPECT_EQ(error.message.rfind("public relay endpoint: host \"bad host\"", 0), 0u) << error.message;

  request.public_host = "relay.example.com";
  request.public_port = 0;
  error = error_of(request);
  EXPECT_EQ(error.kind, ErrorKind::local);
  EXPECT_EQ(error.message, "public relay endpoint: port 0 is out of range 1-65535");
}

TEST(NasshCookie, JsRedirectRefusesIpv6PublicHost) {
  auto request = extension_request();
  request.public_host = "2001:db8::1";
  for (const char* version : {"1", "2"}) {
    request.version = version;
    const Error error = error_of(request);
    EXPECT_EQ(error.kind, ErrorKind::local);
    EXPECT_NE(error.message.find("is an IPv6 literal"), std::string::npos) << error.message;
  }
  EXPECT_FALSE(validate_public_endpoint("2001:db8::1", 443).ok());
  EXPECT_TRUE(validate_public_endpoint("relay.example.com", 443).ok());
  EXPECT_TRUE(validate_public_endpoint("192.0.2.10", 8443).ok());
  EXPECT_FALSE(validate_public_endpoint("relay.example.com", 0).ok());
  EXPECT_FALSE(validate_public_endpoint("relay.example.com:443", 443).ok());
}

TEST(NasshCookie, EndpointBody) {
  auto body = endpoint_json_body("relay.example.com", 443);
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_EQ(*body, ")]}'\n{\"endpoint\":\"relay.example.com:443\"}");
  body = endpoint_json_body("::1", 8022);
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_EQ(*body, ")]}'\n{\"endpoint\":\"[::1]:8022\"}");
  EXPECT_EQ(endpoint_json_body("", 443).error().kind, ErrorKind::local);
}

TEST(NasshCookie, ErrorBodyIsAsciiJson) {
  EXPECT_EQ(error_json_body("identity missing"), ")]}'\n{\"error\":\"identity missing\"}");
  EXPECT_EQ(error_json_body("caf\xc3\xa9 \"x\""), ")]}'\n{\"error\":\"caf\\u00e9 \\\"x\\\"\"}");
  // Invalid UTF-8 must not throw.
  const std::string body = error_json_body("bad \xff byte");
  EXPECT_EQ(body.rfind(")]}'\n{\"error\":\"bad ", 0), 0u) << body;
}

TEST(NasshCookie, ExtensionIds) {
  EXPECT_TRUE(is_extension_id(kStableId));
  EXPECT_TRUE(is_extension_id(kDevId));
  EXPECT_TRUE(is_extension_id(std::string(32, 'a')));
  EXPECT_TRUE(is_extension_id(std::string(32, 'p')));
  EXPECT_FALSE(is_extension_id(std::string(32, 'q')));
  EXPECT_FALSE(is_extension_id(std::string(31, 'a')));
  EXPECT_FALSE(is_extension_id(""));
}

TEST(NasshCookie, HtmlEscape) {
  EXPECT_EQ(html_escape("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
  EXPECT_EQ(html_escape("plain"), "plain");
}

TEST(NasshCookie, RedirectPage) {
  const std::string url =
      "chrome-extension://iodihamcpbpeioajjeobimgagajmlibd/html/nassh_google_relay.html#eyJlbmRwb2ludCI6InIifQ";
  const std::string page = render_redirect_page(url);
  EXPECT_NE(page.find("<script>location.replace(\"" + url + "\");</script>"), std::string::npos) << page;
  EXPECT_NE(page.find("<meta http-equiv=\"refresh\" content=\"1;url=" + url + "\">"), std::string::npos) << page;
  EXPECT_NE(page.find("<noscript><p><a href=\"" + url + "\">"), std::string::npos) << page;
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
}

TEST(NasshCookie, RedirectPageEscapesHostileUrl) {
  const std::string page = render_redirect_page("x\"</script><script>alert(1)//&'");
  EXPECT_EQ(page.find("</script><script>alert"), std::string::npos) << page;
  EXPECT_NE(page.find("location.replace(\"x\\\"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)//\\u0026'\");"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("href=\"x&quot;&lt;/script&gt;&lt;script&gt;alert(1)//&amp;&#39;\""), std::string::npos) << page;
  // Exactly one script element: the hostile text did not open another.
  EXPECT_EQ(page.find("<script"), page.rfind("<script"));
}

TEST(NasshCookie, ScriptNonce) {
  EXPECT_NE(render_redirect_page("chrome-extension://x/", "abc123+/=").find("<script nonce=\"abc123+/=\">"),
            std::string::npos);
  EXPECT_NE(render_close_page("n\"o").find("<script nonce=\"n&quot;o\">window.close();</script>"), std::string::npos);
  EXPECT_NE(render_close_page().find("<script>window.close();</script>"), std::string::npos);
}

TEST(NasshCookie, ErrorPageEscapesMessage) {
  const std::string page = render_error_page("ext \"<img src=x onerror=alert(1)>\" is not a Chrome extension id");
  EXPECT_NE(page.find("<p>ext &quot;&lt;img src=x onerror=alert(1)&gt;&quot; is not a Chrome extension id</p>"),
            std::string::npos)
      << page;
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
}

TEST(NasshCookie, ErrorPageFromAnswer) {
  auto request = extension_request();
  request.ext = "<b>";
  const auto answer = answer_cookie(request);
  ASSERT_FALSE(answer.ok());
  const std::string page = render_error_page(answer.error().message);
  EXPECT_NE(page.find("ext &quot;&lt;b&gt;&quot; is not a Chrome extension id (32 letters a-p)"), std::string::npos)
      << page;
}

}  // namespace
}  // namespace sshrelay
