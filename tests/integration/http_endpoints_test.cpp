// The relay's plain HTTP endpoints: /healthz, /cookie and /endpoint (design.md §3), with the v1 and v2
// fragments decoded the way the Secure Shell extension decodes them, and the notice a client of the older
// corp-relay@google.com gets (read by real OpenSSH).
#include <gtest/gtest.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include <boost/asio/write.hpp>

#include "core/common/base64.hpp"
#include "core/nassh/corp_relay_v1.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_wire.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
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
  const auto res = http_get(relay_.port(), std::string("/cookie?ext=") + kExt + "&path=" + kPage + "&version=1");
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

// As the Python relay answers: v2 unless version=1 is asked for, to either of its two pages.
TEST_F(HttpEndpointsTest, CookieV2RedirectsWithBase64urlJsonEndpoint) {
  for (const std::string page : {kPage, "html/nassh.html"}) {
    const auto res = http_get(relay_.port(), std::string("/cookie?ext=") + kExt + "&path=" + page);
    ASSERT_EQ(res.status, 200u) << res.body << log();
    const auto url = redirect_target(res.body);
    ASSERT_EQ(url.rfind(std::string("chrome-extension://") + kExt + "/" + page + "#", 0), 0u) << res.body;
  }
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

// The extension's direct mode fetches /endpoint from its own origin: Chrome needs the CORS header.
TEST_F(HttpEndpointsTest, EndpointCarriesCorsForAnAllowedOriginOnly) {
  const std::string extension = std::string("chrome-extension://") + kExt;
  const auto allowed = http_get(relay_.port(), "/endpoint", 30s, {{"Origin", extension}});
  ASSERT_EQ(allowed.status, 200u) << allowed.body << log();
  EXPECT_EQ(allowed.body, ")]}'\n{\"endpoint\":\"" + endpoint() + "\"}");
  EXPECT_EQ(allowed.headers.count("access-control-allow-origin") ? allowed.headers.at("access-control-allow-origin") : "",
            extension);
  EXPECT_EQ(allowed.headers.count("vary") ? allowed.headers.at("vary") : "", "Origin");
  const auto other = http_get(relay_.port(), "/endpoint", 30s, {{"Origin", "https://evil.example.com"}});
  ASSERT_EQ(other.status, 200u);
  EXPECT_EQ(other.headers.count("access-control-allow-origin"), 0u);
}

// The Secure Shell extension without --proxy-mode speaks corp-relay@google.com: GET /proxy (an XHR with
// credentials), then a WebSocket to /connect whose messages are a 4-byte ack and bytes for ssh. It gets a
// session id, then an SSH disconnect telling the user which option to set.
TEST_F(HttpEndpointsTest, OlderProtocolClientsAreToldWhichOptionToSet) {
  const std::string extension = std::string("chrome-extension://") + kExt;
  const auto proxy = http_get(relay_.port(), "/proxy?host=db&port=22", 30s, {{"Origin", extension}});
  ASSERT_EQ(proxy.status, 200u) << proxy.body << log();
  EXPECT_EQ(proxy.body, v1::kNoticeSessionId);
  EXPECT_EQ(proxy.headers.count("access-control-allow-origin") ? proxy.headers.at("access-control-allow-origin") : "",
            extension);
  EXPECT_EQ(proxy.headers.count("access-control-allow-credentials") ? proxy.headers.at("access-control-allow-credentials") : "",
            "true");

  RawV4Wire wire(relay_.port(), upgrade_request(relay_.port(), std::string("/connect?sid=") + std::string(v1::kNoticeSessionId) +
                                                                   "&ack=0&pos=0",
                                                {"Origin: " + extension}));
  const auto message = wire.next_message();
  ASSERT_TRUE(message) << log();
  ASSERT_GT(message->size(), 4u);
  EXPECT_EQ(std::vector<std::uint8_t>(message->begin(), message->begin() + 4), (std::vector<std::uint8_t>{0, 0, 0, 0}));
  const std::vector<std::uint8_t> for_ssh(message->begin() + 4, message->end());
  EXPECT_EQ(for_ssh, v1::ssh_disconnect_notice(v1::unsupported_protocol_text()));
  EXPECT_FALSE(wire.next_message());
  ASSERT_TRUE(wire.close_frame()) << "a close frame follows";

  // What the extension's ssh prints: real OpenSSH reading those bytes as its server's.
  TcpTarget server([for_ssh](tcp::socket& socket) {
    boost::system::error_code ec;
    boost::asio::write(socket, boost::asio::buffer(for_ssh), ec);
    std::array<char, 4096> sink{};
    while (!ec) socket.read_some(boost::asio::buffer(sink), ec);  // until ssh hangs up
  });
  testing::TempDir dir("sshrelay-v1-notice");
  const std::string err = dir.file("ssh.err");
  const int code = testing::run({"ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                                 "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=20", "-p",
                                 std::to_string(server.port()), "tester@127.0.0.1", "true"},
                                "", "", err, 60s);
  EXPECT_EQ(code, 255);
  const std::string printed = testing::read_file(err);
  EXPECT_NE(printed.find("Received disconnect from 127.0.0.1 port " + std::to_string(server.port()) + ":2: " +
                         v1::unsupported_protocol_text()),
            std::string::npos)
      << printed;
}

// Every /cookie request is audited (stderr, the default sink here), answered or refused.
TEST_F(HttpEndpointsTest, CookieRequestsAreAudited) {
  ASSERT_EQ(http_get(relay_.port(), std::string("/cookie?ext=") + kExt + "&path=" + kPage, 30s,
                     {{"User-Agent", "CookieTest/1"}}).status, 200u);
  ASSERT_EQ(http_get(relay_.port(), "/cookie?ext=nope").status, 400u);
  std::vector<nlohmann::json> events;
  ASSERT_TRUE(wait_until([&] {
    events.clear();
    std::istringstream lines(relay_.log_text());
    for (std::string line; std::getline(lines, line);) {
      if (line.empty() || line.front() != '{') continue;
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.value("event.action", "") == "cookie.request") events.push_back(j);
    }
    return events.size() >= 2;
  }, 60s)) << log();
  EXPECT_EQ(events[0].value("sshrelay.cookie.ext", ""), kExt);
  EXPECT_EQ(events[0].value("sshrelay.cookie.path", ""), kPage);
  EXPECT_EQ(events[0].value("user_agent.original", ""), "CookieTest/1");
  EXPECT_EQ(events[0].value("source.ip", ""), "127.0.0.1");
  EXPECT_FALSE(events[0].contains("event.reason"));
  EXPECT_NE(events[1].value("event.reason", "").find("ext"), std::string::npos) << events[1].dump();
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
