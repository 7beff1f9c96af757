// The native client on its own terms: relay URLs and request targets, and how it ends when the relay
// misbehaves, refuses, disappears for good, or when the user stops it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/strand.hpp>

#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "native/client/client_error.hpp"
#include "core/wire/v4_url.hpp"
#include "native/client/relay_url.hpp"
#include "tests/integration/harness.hpp"
#include "tests/support/files.hpp"
#include "tests/support/relay_daemon.hpp"

namespace sshrelay::itest {
namespace {

namespace http = beast::http;
using client::errc;

TEST(RelayUrl, ParsesPlainTlsPrefixAndIpv6) {
  auto plain = client::parse_relay_url("ws://127.0.0.1:8080");
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_TRUE(plain->host_is_ip);
  EXPECT_EQ(plain->port, 8080);
  EXPECT_EQ(plain->path_prefix, "");
  EXPECT_EQ(plain->host_header(), "127.0.0.1:8080");

  auto tls = client::parse_relay_url("wss://Relay.Example.com/base/");
  ASSERT_TRUE(tls) << tls.error().message;
  EXPECT_TRUE(tls->tls);
  EXPECT_FALSE(tls->host_is_ip);
  EXPECT_EQ(tls->port, 443);
  EXPECT_EQ(tls->path_prefix, "/base");
  EXPECT_EQ(tls->host_header(), tls->host);

  auto v6 = client::parse_relay_url("wss://[::1]:9443");
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(v6->host, "::1");
  EXPECT_TRUE(v6->host_is_ip);
  EXPECT_EQ(v6->host_header(), "[::1]:9443");
  EXPECT_EQ(v6->to_string(), "wss://[::1]:9443");
}

TEST(RelayUrl, RefusesWhatItCannotUse) {
  for (const char* bad : {"http://relay.example.com", "relay.example.com:443", "ws://user@relay.example.com",
                          "ws://relay.example.com/?x=1", "ws://relay.example.com/#top", "ws://relay.example.com:0",
                          "ws://relay.example.com:99999", "ws://:80", ""}) {
    auto url = client::parse_relay_url(bad);
    EXPECT_FALSE(url) << bad;
    if (!url) {
      EXPECT_NE(url.error().message.find(bad), std::string::npos) << url.error().message;
    }
  }
}

TEST(RelayUrl, BuildsPercentEncodedTargets) {
  auto relay = client::parse_relay_url("wss://relay.example.com/p");
  ASSERT_TRUE(relay);
  EXPECT_EQ(v4::connect_request_target(relay->path_prefix, "host.example", 2222, "alice"),
            "/p/v4/connect?host=host.example&port=2222&dstUsername=alice");
  EXPECT_EQ(v4::connect_request_target(relay->path_prefix, "::1", 22, "a b&c=d+e@f/g"),
            "/p/v4/connect?host=%3A%3A1&port=22&dstUsername=a%20b%26c%3Dd%2Be%40f%2Fg");
  EXPECT_EQ(v4::reconnect_request_target(relay->path_prefix, "abc-_DEF", 123456789012345ull),
            "/p/v4/reconnect?sid=abc-_DEF&ack=123456789012345");
}

// A stand-in relay that completes the upgrade but does not echo the subprotocol.
TEST(ClientBehaviour, MissingSubprotocolEchoFailsClearly) {
  TcpTarget fake([](tcp::socket& socket) {
    websocket::stream<tcp::socket&> ws(socket);
    ws.accept();
    beast::flat_buffer buffer;
    error_code ec;
    ws.read(buffer, ec);  // until the client goes away
  });
  IoThread io;
  MemoryClient c(io.ioc(), client_options(fake.port(), "127.0.0.1", 22));
  c.start();
  ASSERT_TRUE(c.wait_done(60s)) << c.describe();
  EXPECT_EQ(c.ec(), errc::subprotocol_not_echoed) << c.describe();
  EXPECT_NE(c.close().detail.find("Sec-WebSocket-Protocol"), std::string::npos) << c.describe();
}

TEST(ClientBehaviour, HttpRefusalIsReportedWithStatusAndBody) {
  TcpTarget fake([](tcp::socket& socket) {
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::read(socket, buffer, req);
    http::response<http::string_body> res{http::status::forbidden, 11};
    res.body() = "identity missing";
    res.prepare_payload();
    http::write(socket, res);
  });
  IoThread io;
  MemoryClient c(io.ioc(), client_options(fake.port(), "127.0.0.1", 22));
  c.start();
  ASSERT_TRUE(c.wait_done(60s)) << c.describe();
  EXPECT_EQ(c.ec(), errc::upgrade_refused) << c.describe();
  EXPECT_NE(c.close().detail.find("403"), std::string::npos) << c.describe();
  EXPECT_NE(c.close().detail.find("identity missing"), std::string::npos) << c.describe();
}

class ClientWithRelayTest : public ::testing::Test {
 protected:
  void SetUp() override { relay_.start(relayd_path(), {"--unsafe-allow-loopback"}); }
  std::string log() const { return "\n--- relayd log:\n" + testing::file_tail(relay_.log_path()); }

  testing::RelayDaemon relay_;
  TcpTarget echo_{TcpTarget::echo()};
  IoThread io_;
};

TEST_F(ClientWithRelayTest, GivesUpReconnectingAfterTheBudget) {
  auto options = client_options(relay_.port(), "127.0.0.1", echo_.port());
  options.reconnect.budget = 1500ms;
  MemoryClient c(io_.ioc(), options);
  c.start();
  ASSERT_TRUE(wait_until([&] { return !c.connection().session_id().empty(); }, 60s)) << c.describe() << log();
  // The relay vanishes without a close frame: the client keeps trying until its budget is spent.
  // Measured from before the kill: the client cannot notice the drop earlier, however late this thread
  // gets to run afterwards.
  const auto began = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(relay_.pid(), SIGKILL), 0);
  ASSERT_TRUE(c.wait_done(60s)) << c.describe();
  const auto took = std::chrono::steady_clock::now() - began;
  EXPECT_EQ(c.ec(), errc::reconnect_gave_up) << c.describe();
  EXPECT_GE(took, 500ms);
  EXPECT_LT(took, 10s) << "kept trying long past its 1.5 s budget";
  EXPECT_NE(c.close().detail.find("attempts"), std::string::npos) << c.describe();
}

TEST_F(ClientWithRelayTest, StopClosesTheSession) {
  MemoryClient c(io_.ioc(), client_options(relay_.port(), "127.0.0.1", echo_.port()));
  c.start();
  ASSERT_TRUE(wait_until([&] { return !c.connection().session_id().empty(); }, 60s)) << c.describe() << log();
  c.connection().stop();
  ASSERT_TRUE(c.wait_done(60s)) << c.describe();
  EXPECT_EQ(c.ec(), errc::stopped) << c.describe();
}

TEST_F(ClientWithRelayTest, DropBeforeAnyDataResumesAndReconnectCountsIt) {
  MemoryClient c(io_.ioc(), client_options(relay_.port(), "127.0.0.1", echo_.port()));
  c.start();
  ASSERT_TRUE(wait_until([&] { return !c.connection().session_id().empty(); }, 60s)) << c.describe() << log();
  for (std::uint64_t i = 1; i <= 3; ++i) {
    c.connection().drop_transport();
    ASSERT_TRUE(wait_until([&] { return c.connection().reconnects() == i; }, 60s)) << c.describe() << log();
  }
  EXPECT_FALSE(c.done());
  c.connection().stop();
  ASSERT_TRUE(c.wait_done(60s)) << c.describe();
}

// ProxyCommand mode: the local side is a pair of descriptors (stdin/stdout there, pipes here). Bytes go
// through the relay to an echo target and back; local EOF does not end the session (v4 has no
// half-close), stop() does.
TEST_F(ClientWithRelayTest, PipesAsTheLocalSide) {
  int to_client[2];
  int from_client[2];
  ASSERT_EQ(::pipe2(to_client, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(from_client, O_CLOEXEC), 0);
  // The client's log lines, to know when it has seen the local EOF.
  auto lines = std::make_shared<std::pair<std::mutex, std::vector<std::string>>>();
  auto options = client_options(relay_.port(), "127.0.0.1", echo_.port());
  options.log = [lines, verbose = options.log](const std::string& line) {
    if (verbose) verbose(line);
    std::lock_guard lock(lines->first);
    lines->second.push_back(line);
  };
  const auto logged = [lines](const std::string& needle) {
    std::lock_guard lock(lines->first);
    for (const auto& line : lines->second) {
      if (line.find(needle) != std::string::npos) return true;
    }
    return false;
  };
  auto connection = std::make_shared<client::RelayConnection>(
      std::make_unique<client::FdPairLocalStream>(asio::make_strand(io_.ioc()), to_client[0], from_client[1]),
      options);
  std::atomic<bool> done{false};
  error_code result;
  connection->start([&](error_code ec, client::CloseInfo) {
    result = ec;
    done = true;
  });

  const std::string message = "through-pipes-and-back";
  ASSERT_EQ(::write(to_client[1], message.data(), message.size()), static_cast<ssize_t>(message.size()));
  std::string echoed;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (echoed.size() < message.size() && std::chrono::steady_clock::now() < deadline) {
    pollfd p{from_client[0], POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buffer[256];
    const auto n = ::read(from_client[0], buffer, sizeof buffer);
    if (n <= 0) break;
    echoed.append(buffer, static_cast<std::size_t>(n));
  }
  EXPECT_EQ(echoed, message) << log();

  ::close(to_client[1]);  // local EOF
  // Once the client has handled the EOF (not merely after a pause it may not have been scheduled in),
  // and a moment more for a wrong reaction to it to show, the session must still be running.
  ASSERT_TRUE(wait_until([&] { return logged("local EOF"); }, 60s)) << "the client never saw the local EOF";
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(done.load()) << "local EOF must not end a v4 session";
  connection->stop();
  ASSERT_TRUE(wait_until([&] { return done.load(); }, 60s));
  EXPECT_EQ(result, errc::stopped);
  char byte;
  EXPECT_EQ(::read(from_client[0], &byte, 1), 0) << "the output side is closed at the end";
  ::close(from_client[0]);
}

}  // namespace
}  // namespace sshrelay::itest
