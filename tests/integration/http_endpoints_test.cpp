// The relay's plain HTTP endpoints: /healthz and /cookie (design.md §3), with the v1 and v2 fragments
// decoded the way the Secure Shell extension decodes them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/common/base64url.hpp"
#include "tests/integration/harness.hpp"
#include "tests/support/files.hpp"
#include "tests/support/relay_daemon.hpp"

namespace sshrelay::itest {
namespace {

constexpr const char* kExt = "iodihamcpbpeioajjeobimgagajmlibd";
constexpr const char* kPage = "html/nassh_google_relay.html";

class HttpEndpointsTest : public ::testing::Test {
 protected:
  void SetUp() override { relay_.start(relayd_path(), {}); }
  std::string log() const { return "\n--- relayd log:\n" + testing::file_tail(relay_.log_path()); }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(relay_.port()); }

  testing::RelayDaemon relay_;
};

// The chrome-extension:// URL the page sends the tab to, from its meta refresh.
std::string redirect_target(const std::string& page) {
  const std::string marker = "url=";
  const auto meta = page.find("http-equiv=\"refresh\"");
  if (meta == std::string::npos) return {};
  const auto start = page.find(marker, meta);
  if (start == std::string::npos) return {};
  const auto end = page.find('"', start);
  std::string url = page.substr(start + marker.size(), end - start - marker.size());
  for (std::string::size_type at; (at = url.find("&amp;")) != std::string::npos;) url.replace(at, 5, "&");
  return url;
}

TEST_F(HttpEndpointsTest, HealthzSaysOk) {
  const auto res = http_get(relay_.port(), "/healthz");
  ASSERT_EQ(res.status, 200u) << res.body << log();
  EXPECT_EQ(nlohmann::json::parse(res.body), nlohmann::json({{"ok", true}}));
}

TEST_F(HttpEndpointsTest, CookieV1RedirectsToTheExtensionWithUserAtEndpoint) {
  const auto res = http_get(relay_.port(), std::string("/cookie?ext=") + kExt + "&path=" + kPage);
  ASSERT_EQ(res.status, 200u) << res.body << log();
  const auto url = redirect_target(res.body);
  const std::string prefix = std::string("chrome-extension://") + kExt + "/" + kPage + "#";
  ASSERT_EQ(url.rfind(prefix, 0), 0u) << res.body;
  const auto fragment = url.substr(prefix.size());
  // v1: "user@host:port"; the extension takes the host and port after the first '@'.
  const auto at = fragment.find('@');
  ASSERT_NE(at, std::string::npos) << fragment;
  EXPECT_EQ(fragment.substr(at + 1), endpoint());
  EXPECT_NE(res.body.find("location.replace("), std::string::npos) << res.body;
}

TEST_F(HttpEndpointsTest, CookieV2RedirectsWithBase64urlJsonEndpoint) {
  const auto res = http_get(relay_.port(), std::string("/cookie?ext=") + kExt + "&path=" + kPage + "&version=2");
  ASSERT_EQ(res.status, 200u) << res.body << log();
  const auto url = redirect_target(res.body);
  const std::string prefix = std::string("chrome-extension://") + kExt + "/" + kPage + "#";
  ASSERT_EQ(url.rfind(prefix, 0), 0u) << res.body;
  const auto fragment = url.substr(prefix.size());
  EXPECT_EQ(fragment.find('@'), std::string::npos) << "a v2 fragment must not contain '@': " << fragment;
  EXPECT_EQ(fragment.find('='), std::string::npos) << "v2 is unpadded: " << fragment;
  auto decoded = base64url_decode(fragment);
  ASSERT_TRUE(decoded) << decoded.error().message << ": " << fragment;
  const auto json = nlohmann::json::parse(std::string(decoded->begin(), decoded->end()));
  EXPECT_EQ(json, nlohmann::json({{"endpoint", endpoint()}}));
}

TEST_F(HttpEndpointsTest, CookieWithBadExtensionIdIs400NamingExt) {
  const auto res = http_get(relay_.port(), std::string("/cookie?ext=notanextension&path=") + kPage);
  EXPECT_EQ(res.status, 400u) << res.body;
  EXPECT_NE(res.body.find("ext"), std::string::npos) << res.body;
  EXPECT_NE(res.body.find("extension id"), std::string::npos) << res.body;
  EXPECT_EQ(res.body.find("chrome-extension://"), std::string::npos) << res.body;
}

TEST_F(HttpEndpointsTest, CookieWithOtherPathIs400NamingPath) {
  const auto res = http_get(relay_.port(), std::string("/cookie?ext=") + kExt + "&path=html/evil.html");
  EXPECT_EQ(res.status, 400u) << res.body;
  EXPECT_NE(res.body.find("path"), std::string::npos) << res.body;
  EXPECT_NE(res.body.find("not allowed"), std::string::npos) << res.body;
  EXPECT_EQ(res.body.find("chrome-extension://"), std::string::npos) << res.body;
}

TEST_F(HttpEndpointsTest, CookieWithoutExtIs400) {
  const auto res = http_get(relay_.port(), std::string("/cookie?path=") + kPage);
  EXPECT_EQ(res.status, 400u) << res.body;
  EXPECT_NE(res.body.find("ext"), std::string::npos) << res.body;
}

}  // namespace
}  // namespace sshrelay::itest
