// Tunnels through the real daemon (/tunnel, wsproxy's protocol) served by the real CLI (`sshrelay tunnel`):
// curl reaches Python's HTTP server through <sub>.tunnels.test (GET, a binary POST, a download, the
// header rules both ways), raw TCP through a pool port carries 64 MiB to an echo server and back intact,
// the caps and the response timeout give their statuses, unknown and invalid subdomains are 404, the
// audit trail has tunnel.open and tunnel.close with what the tunnel carried, and a relay started without
// --tunnels refuses /tunnel.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <boost/beast/core/buffers_to_string.hpp>

#include "tests/integration/harness.hpp"
#include "tests/integration/tunnel_site.hpp"
#include "tests/support/files.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/process.hpp"
#include "tests/support/relay_daemon.hpp"
#include "tests/support/sha256.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::itest {
namespace {

namespace fs = std::filesystem;
using testing::Process;
using testing::RelayDaemon;
using testing::TempDir;

constexpr const char* kDomain = "tunnels.test";

struct OpenTunnel {
  std::string url;
  std::string subdomain;
  std::uint16_t raw_port = 0;
};

class TunnelTest : public ::testing::Test {
 protected:
  void start_relay(std::vector<std::string> extra = {}) {
    raw_port_ = testing::pick_free_loopback_port();
    std::vector<std::string> args = {"--unsafe-allow-loopback", "--tunnels", "--tunnel-domain", kDomain, "--tunnel-ports",
                                     std::to_string(raw_port_) + "-" + std::to_string(raw_port_), "--audit-jsonl", audit(),
                                     "--audit-jsonl-fsync=no"};
    args.insert(args.end(), extra.begin(), extra.end());
    relay_->start(relayd_path(), args);
  }

  // `sshrelay tunnel --to 127.0.0.1:<service>`, until it prints where the tunnel is reached.
  // `streams`: false runs it with --no-streams (wsproxy's http_request messages); `extra`: more options.
  OpenTunnel open_tunnel(std::uint16_t service, const std::string& name, bool streams = true, std::vector<std::string> extra = {}) {
    const auto out = dir_.file(name + ".out");
    const auto err = dir_.file(name + ".err");
    std::vector<std::string> argv = {SSHRELAY_CLI_PATH, "tunnel", "--relay", "ws://127.0.0.1:" + std::to_string(relay_->port()),
                                     "--to", "127.0.0.1:" + std::to_string(service), "-v"};
    if (!streams) argv.push_back("--no-streams");
    argv.insert(argv.end(), extra.begin(), extra.end());
    clis_.emplace_back(argv, testing::ProcessIo{"", out, err, {}});
    auto& cli = clis_.back();
    std::smatch m;
    std::string line;
    const bool opened = wait_until([&] {
      line = fs::exists(out) ? testing::read_file(out) : "";
      return line.find("is open:") != std::string::npos || !cli.running();
    }, 60s);
    if (!opened || line.find("is open:") == std::string::npos) {
      throw std::runtime_error("sshrelay tunnel did not open: " + testing::file_tail(err) + "\n--- relay:\n" + relay_->log_text());
    }
    OpenTunnel t;
    static const std::regex url(R"((http\S+://([0-9a-f]{16})\.tunnels\.test\S*))");
    if (std::regex_search(line, m, url)) {
      t.url = m[1];
      t.subdomain = m[2];
    }
    static const std::regex raw(R"(raw TCP port \S+:(\d+))");
    if (std::regex_search(line, m, raw)) t.raw_port = static_cast<std::uint16_t>(std::stoi(m[1]));
    return t;
  }

  // curl through the relay with <subdomain>.tunnels.test resolved to it. Returns curl's exit code; the
  // body lands in <name>.body, the response headers in <name>.headers.
  int curl(const std::string& subdomain, const std::string& path, const std::string& name, std::vector<std::string> extra = {}) {
    const std::string host = subdomain + "." + kDomain;
    const std::string port = std::to_string(relay_->port());
    std::vector<std::string> argv = {"curl", "--silent", "--show-error", "--max-time", "120", "--resolve", host + ":" + port + ":127.0.0.1",
                                     "-D", dir_.file(name + ".headers"), "-o", dir_.file(name + ".body")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("http://" + host + ":" + port + path);
    return testing::run(argv, "", dir_.file(name + ".curl"), dir_.file(name + ".curl"), 180s);
  }
  std::string body(const std::string& name) const { return testing::read_file(dir_.file(name + ".body")); }
  std::string headers(const std::string& name) const { return testing::read_file(dir_.file(name + ".headers")); }
  // The final status (curl's header dump has an interim 100 Continue first when it sent Expect).
  static unsigned status_of(const std::string& response_headers) {
    static const std::regex line(R"(HTTP/1\.1 (\d{3}))");
    unsigned status = 0;
    for (std::sregex_iterator it(response_headers.begin(), response_headers.end(), line), end; it != end; ++it) {
      status = static_cast<unsigned>(std::stoi((*it)[1]));
    }
    return status;
  }
  std::string audit() const { return dir_.file("audit.jsonl"); }
  std::vector<nlohmann::json> audit_events(const std::string& action) const {
    std::vector<nlohmann::json> out;
    if (!fs::exists(audit())) return out;
    std::istringstream lines(testing::read_file(audit()));
    for (std::string line; std::getline(lines, line);) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.value("event.action", "") == action) out.push_back(std::move(j));
    }
    return out;
  }
  std::string diagnostics() const {
    std::string out = "\n--- relay:\n" + testing::file_tail(relay_->log_path(), 3000);
    for (const auto& entry : fs::directory_iterator(dir_.path())) {
      if (entry.path().extension() == ".err") out += "\n--- " + entry.path().filename().string() + ":\n" + testing::file_tail(entry.path().string(), 2000);
    }
    return out;
  }

  TempDir dir_{"sshrelay-tunnel"};
  std::unique_ptr<RelayDaemon> relay_ = std::make_unique<RelayDaemon>();  // replaced to restart it
  std::uint16_t raw_port_ = 0;
  std::vector<Process> clis_;
};

TEST_F(TunnelTest, CurlReachesAWebServiceThroughACliTunnel) {
  start_relay();
  TunnelSite site(dir_);
  const auto tunnel = open_tunnel(site.port(), "cli", false);
  ASSERT_EQ(tunnel.subdomain.size(), 16u) << diagnostics();
  EXPECT_EQ(tunnel.url, "https://" + tunnel.subdomain + "." + kDomain + ":" + std::to_string(relay_->port()));
  EXPECT_EQ(tunnel.raw_port, raw_port_);

  // A page, with the site's own header kept and the ones that are the relay's to set dropped.
  ASSERT_EQ(curl(tunnel.subdomain, "/hello", "hello"), 0) << diagnostics();
  EXPECT_EQ(status_of(headers("hello")), 200u) << headers("hello");
  EXPECT_EQ(body("hello"), "hello through the tunnel\n");
  const auto h = headers("hello");
  EXPECT_NE(h.find("X-Site: kept"), std::string::npos) << h;
  EXPECT_EQ(h.find("Set-Cookie"), std::string::npos) << h;
  EXPECT_EQ(h.find("X-Frame-Options"), std::string::npos) << h;

  // The visitor's credentials for the relay's site never reach the tunnel.
  ASSERT_EQ(curl(tunnel.subdomain, "/headers?x=1", "headers",
                 {"-H", "Cookie: relay_session=secret", "-H", "Authorization: Bearer secret", "-H", "X-CSRF-Token: secret",
                  "-H", "X-Custom: visible"}),
            0);
  const auto seen = nlohmann::json::parse(body("headers"), nullptr, false);
  ASSERT_TRUE(seen.is_object()) << body("headers");
  EXPECT_EQ(seen["path"], "/headers?x=1");
  EXPECT_EQ(seen["headers"].value("x-custom", ""), "visible");
  for (const char* gone : {"cookie", "authorization", "x-csrf-token"}) EXPECT_FALSE(seen["headers"].contains(gone)) << gone << ": " << seen.dump();

  // A binary POST of 3 MiB, echoed: the same bytes back (and the site saw them whole).
  const auto upload = deterministic_bytes(3 * kMiB, 7);
  testing::write_file(dir_.file("upload.bin"), std::string_view(reinterpret_cast<const char*>(upload.data()), upload.size()));
  ASSERT_EQ(curl(tunnel.subdomain, "/echo", "echo",
                 {"--data-binary", "@" + dir_.file("upload.bin"), "-H", "Content-Type: application/octet-stream"}),
            0)
      << diagnostics();
  EXPECT_EQ(status_of(headers("echo")), 200u);
  EXPECT_EQ(testing::sha256_hex(body("echo")), testing::sha256_hex(upload));
  EXPECT_NE(headers("echo").find(testing::sha256_hex(upload)), std::string::npos) << headers("echo");

  // A download of 8 MiB (wsproxy's protocol carries a body of at most 10 MiB in one message).
  ASSERT_EQ(curl(tunnel.subdomain, "/bytes?n=8388608", "bytes"), 0) << diagnostics();
  std::string expected;
  for (std::size_t i = 0; i < 8388608; ++i) expected.push_back(static_cast<char>(i % 251));
  EXPECT_EQ(body("bytes").size(), expected.size());
  EXPECT_EQ(testing::sha256_hex(body("bytes")), testing::sha256_hex(expected));

  // Subdomains that are no tunnel.
  ASSERT_EQ(curl("0123456789abcdef", "/hello", "unknown"), 0);
  EXPECT_EQ(status_of(headers("unknown")), 404u);
  EXPECT_EQ(body("unknown"), "tunnel not found\n");
  ASSERT_EQ(curl("not-a-tunnel", "/hello", "invalid"), 0);
  EXPECT_EQ(status_of(headers("invalid")), 404u);
  EXPECT_EQ(body("invalid"), "invalid tunnel\n");

  // Registration and the end are audited, with what the tunnel carried.
  const auto opened = audit_events("tunnel.open");
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_EQ(opened[0].value("sshrelay.target", ""), tunnel.url) << opened[0].dump();
  EXPECT_EQ(opened[0].value("user_agent.original", "").rfind("sshrelay/", 0), 0u) << "the CLI names its version" << opened[0].dump();
  EXPECT_EQ(clis_.back().terminate(SIGTERM, 30s), 0) << diagnostics();
  ASSERT_TRUE(wait_until([&] { return !audit_events("tunnel.close").empty(); }, 30s)) << diagnostics();
  const auto closed = audit_events("tunnel.close");
  EXPECT_EQ(closed[0].value("sshrelay.tunnel.requests", 0), 4) << closed[0].dump();
  ASSERT_EQ(curl(tunnel.subdomain, "/hello", "after"), 0);
  EXPECT_EQ(status_of(headers("after")), 404u) << "a tunnel whose client left is gone";
}

// A WebSocket client through <subdomain>.tunnels.test: each message sent comes back.
std::vector<std::string> websocket_echo(std::uint16_t relay_port, const std::string& subdomain, const std::vector<std::string>& messages) {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws(ioc);
  beast::get_lowest_layer(ws).expires_after(60s);
  beast::get_lowest_layer(ws).connect({asio::ip::make_address("127.0.0.1"), relay_port});
  ws.handshake(subdomain + "." + kDomain + ":" + std::to_string(relay_port), "/ws");
  std::vector<std::string> back;
  for (const auto& message : messages) {
    ws.text(message.find('\0') == std::string::npos);
    ws.write(asio::buffer(message));
    beast::flat_buffer buffer;
    ws.read(buffer);
    back.push_back(beast::buffers_to_string(buffer.data()));
  }
  ws.close(websocket::close_code::normal);
  return back;
}

// Streams (the CLI's default): bodies with no cap both ways, the header rules kept, a WebSocket through.
TEST_F(TunnelTest, StreamsCarryLargeBodiesBothWaysAndWebSockets) {
  start_relay();
  TunnelSite site(dir_);
  const auto tunnel = open_tunnel(site.port(), "cli");
  ASSERT_EQ(tunnel.subdomain.size(), 16u) << diagnostics();
  EXPECT_EQ(testing::read_file(dir_.file("cli.err")).find("does not stream"), std::string::npos) << "the relay said streams";

  ASSERT_EQ(curl(tunnel.subdomain, "/hello", "hello"), 0) << diagnostics();
  EXPECT_EQ(status_of(headers("hello")), 200u) << headers("hello");
  EXPECT_EQ(body("hello"), "hello through the tunnel\n");
  EXPECT_NE(headers("hello").find("X-Site: kept"), std::string::npos) << headers("hello");
  EXPECT_EQ(headers("hello").find("Set-Cookie"), std::string::npos) << headers("hello");
  EXPECT_EQ(headers("hello").find("X-Frame-Options"), std::string::npos) << headers("hello");

  ASSERT_EQ(curl(tunnel.subdomain, "/headers?x=1", "headers",
                 {"-H", "Cookie: relay_session=secret", "-H", "Authorization: Bearer secret", "-H", "X-Custom: visible"}),
            0);
  const auto seen = nlohmann::json::parse(body("headers"), nullptr, false);
  ASSERT_TRUE(seen.is_object()) << body("headers");
  EXPECT_EQ(seen["path"], "/headers?x=1");
  EXPECT_EQ(seen["headers"].value("x-custom", ""), "visible");
  EXPECT_EQ(seen["headers"].value("host", ""), tunnel.subdomain + "." + kDomain + ":" + std::to_string(relay_->port()));
  for (const char* gone : {"cookie", "authorization"}) EXPECT_FALSE(seen["headers"].contains(gone)) << gone << ": " << seen.dump();

  // 50 MiB down and 20 MiB up: past wsproxy's 10 MiB, intact.
  constexpr std::size_t kDownload = 50 * kMiB;
  ASSERT_EQ(curl(tunnel.subdomain, "/bytes?n=" + std::to_string(kDownload), "bytes"), 0) << diagnostics();
  EXPECT_EQ(status_of(headers("bytes")), 200u) << headers("bytes");
  std::string expected(kDownload, '\0');
  for (std::size_t i = 0; i < kDownload; ++i) expected[i] = static_cast<char>(i % 251);
  EXPECT_EQ(body("bytes").size(), kDownload);
  EXPECT_EQ(testing::sha256_hex(body("bytes")), testing::sha256_hex(expected));
  const auto upload = deterministic_bytes(20 * kMiB, 9);
  testing::write_file(dir_.file("upload.bin"), std::string_view(reinterpret_cast<const char*>(upload.data()), upload.size()));
  ASSERT_EQ(curl(tunnel.subdomain, "/echo", "echo", {"--data-binary", "@" + dir_.file("upload.bin")}), 0) << diagnostics();
  EXPECT_EQ(status_of(headers("echo")), 200u) << headers("echo");
  EXPECT_NE(headers("echo").find(testing::sha256_hex(upload)), std::string::npos) << headers("echo");
  EXPECT_EQ(testing::sha256_hex(body("echo")), testing::sha256_hex(upload));

  // A WebSocket to the site, through the tunnel: text and binary echoed.
  const std::vector<std::string> messages = {"hello over a tunnel", std::string("\0\1\2binary", 9), std::string(40000, 'w')};
  const auto echoed = websocket_echo(relay_->port(), tunnel.subdomain, messages);
  ASSERT_EQ(echoed.size(), messages.size()) << diagnostics();
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(echoed[i].size(), messages[i].size()) << i;
    EXPECT_TRUE(echoed[i] == messages[i]) << "message " << i << " came back changed: " << echoed[i].substr(0, 40);
  }

  EXPECT_EQ(clis_.back().terminate(SIGTERM, 30s), 0) << diagnostics();
  ASSERT_TRUE(wait_until([&] { return !audit_events("tunnel.close").empty(); }, 30s)) << diagnostics();
  const auto closed = audit_events("tunnel.close");
  EXPECT_EQ(closed[0].value("sshrelay.tunnel.requests", 0), 5) << closed[0].dump();
  EXPECT_EQ(closed[0].value("sshrelay.tunnel.connections", -1), 0) << closed[0].dump();
}

// --stable-subdomain: the principal's own subdomain each time, one tunnel at a time, and (with
// --tunnel-subdomain-key-file) the same after the relay restarts.
TEST_F(TunnelTest, AStableSubdomainComesBackForTheSamePrincipal) {
  testing::write_file(dir_.file("subdomain.key"), std::string(32, 'k'));
  const std::vector<std::string> keyed = {"--tunnel-subdomain-key-file", dir_.file("subdomain.key")};
  start_relay(keyed);
  TunnelSite site(dir_);
  const auto first = open_tunnel(site.port(), "first", true, {"--stable-subdomain"});
  ASSERT_EQ(first.subdomain.size(), 16u) << diagnostics();
  ASSERT_EQ(curl(first.subdomain, "/hello", "first"), 0);
  EXPECT_EQ(body("first"), "hello through the tunnel\n");

  // While it is live, a second one for the same principal is refused, in words.
  const auto err = dir_.file("second.err");
  EXPECT_NE(testing::run({SSHRELAY_CLI_PATH, "tunnel", "--relay", "ws://127.0.0.1:" + std::to_string(relay_->port()), "--to",
                          "127.0.0.1:" + std::to_string(site.port()), "--stable-subdomain"},
                         "", dir_.file("second.out"), err, 60s),
            0);
  EXPECT_NE(testing::read_file(err).find("is held by another of its tunnels"), std::string::npos) << testing::read_file(err);

  // A random one is not affected.
  const auto random = open_tunnel(site.port(), "random");
  EXPECT_NE(random.subdomain, first.subdomain);

  ASSERT_EQ(clis_.front().terminate(SIGTERM, 30s), 0) << diagnostics();
  ASSERT_TRUE(wait_until([&] { return audit_events("tunnel.close").size() == 1; }, 30s)) << diagnostics();
  const auto again = open_tunnel(site.port(), "again", true, {"--stable-subdomain"});
  EXPECT_EQ(again.subdomain, first.subdomain);

  // The relay restarts with the same key file: the same subdomain.
  for (auto& cli : clis_) cli.terminate(SIGTERM, 30s);
  clis_.clear();
  relay_->stop();
  relay_ = std::make_unique<RelayDaemon>();
  start_relay(keyed);
  const auto restarted = open_tunnel(site.port(), "restarted", true, {"--stable-subdomain"});
  EXPECT_EQ(restarted.subdomain, first.subdomain);
  ASSERT_EQ(curl(restarted.subdomain, "/hello", "restarted"), 0);
  EXPECT_EQ(body("restarted"), "hello through the tunnel\n");
}

// Both ways at once over one raw connection: what the echo server sends back is read while the rest is
// still being written. The sending side is not shut down early: the tunnel protocol has no half-close (an
// EOF from either side ends the connection, as with wsproxy).
std::vector<std::uint8_t> echo_through(std::uint16_t port, const std::vector<std::uint8_t>& bytes) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  std::vector<std::uint8_t> received;
  std::thread writer([&] {
    boost::system::error_code ec;
    asio::write(socket, asio::buffer(bytes), ec);
  });
  std::vector<std::uint8_t> chunk(64 * 1024);
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (received.size() < bytes.size() && std::chrono::steady_clock::now() < deadline) {
    boost::system::error_code ec;
    const auto n = socket.read_some(asio::buffer(chunk), ec);
    received.insert(received.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    if (ec) break;
  }
  writer.join();
  return received;
}

TEST_F(TunnelTest, RawTcpThroughThePoolPortCarries64MiBBothWays) {
  start_relay();
  TcpTarget echo(TcpTarget::echo());
  const auto tunnel = open_tunnel(echo.port(), "cli");
  ASSERT_EQ(tunnel.raw_port, raw_port_) << diagnostics();
  const auto bytes = deterministic_bytes(64 * kMiB, 42);
  const auto back = echo_through(tunnel.raw_port, bytes);
  EXPECT_EQ(back.size(), bytes.size()) << diagnostics();
  EXPECT_EQ(testing::sha256_hex(back), testing::sha256_hex(bytes));
  EXPECT_EQ(echo.accepted(), 1u);
}

TEST_F(TunnelTest, CapsAndTimeoutsGiveTheirStatuses) {
  start_relay({"--tunnel-max-http-per-ip", "1", "--tunnel-response-seconds", "3", "--tunnel-max-tcp", "1"});
  TunnelSite site(dir_);
  const auto tunnel = open_tunnel(site.port(), "cli", false);
  ASSERT_EQ(tunnel.subdomain.size(), 16u) << diagnostics();

  // The site takes 6 s; the relay waits 3: 504.
  ASSERT_EQ(curl(tunnel.subdomain, "/slow?s=6", "slow"), 0) << diagnostics();
  EXPECT_EQ(status_of(headers("slow")), 504u) << headers("slow");
  EXPECT_EQ(body("slow"), "tunnel response timeout\n");

  // One request at a time from this address: another while the first waits (3 s) is 429. Tried until
  // it is, for as long as the first is in flight, so a slow start of the first cannot fail the test; and
  // the first is sent again (a few rounds at most) when it was over before a second one got in: under
  // load (a clean-clone run) it was itself refused while the timed-out request above still counted.
  const std::string host = tunnel.subdomain + "." + kDomain;
  unsigned while_waiting = 0;
  for (int round = 0; round < 5 && while_waiting != 429u; ++round) {
    Process waiting({"curl", "--silent", "--resolve", host + ":" + std::to_string(relay_->port()) + ":127.0.0.1",
                     "http://" + host + ":" + std::to_string(relay_->port()) + "/slow?s=6"},
                    testing::ProcessIo{"", dir_.file("waiting.out"), dir_.file("waiting.err"), {}});
    for (int attempt = 0; attempt < 200 && while_waiting != 429u && waiting.running(); ++attempt) {
      ASSERT_EQ(curl(tunnel.subdomain, "/hello", "second"), 0);
      while_waiting = status_of(headers("second"));
      if (while_waiting != 429u) std::this_thread::sleep_for(50ms);
    }
    waiting.wait_for(30s);
  }
  EXPECT_EQ(while_waiting, 429u) << headers("second");
  EXPECT_EQ(body("second"), "too many concurrent requests\n");

  // A body over 10 MiB is refused before it reaches the tunnel.
  testing::write_file(dir_.file("big.bin"), std::string(10 * kMiB + 1, 'x'));
  ASSERT_EQ(curl(tunnel.subdomain, "/echo", "big", {"--data-binary", "@" + dir_.file("big.bin")}), 0);
  EXPECT_EQ(status_of(headers("big")), 413u) << headers("big");

  // --tunnel-max-tcp 1: a second raw connection is closed at once.
  asio::io_context ioc;
  tcp::socket first(ioc), second(ioc);
  first.connect({asio::ip::make_address("127.0.0.1"), tunnel.raw_port});
  // Counted once the tunnel's client has it (its -v line): only then is the cap full.
  ASSERT_TRUE(wait_until([&] { return testing::read_file(dir_.file("cli.err")).find("connection ") != std::string::npos; }, 30s))
      << diagnostics();
  second.connect({asio::ip::make_address("127.0.0.1"), tunnel.raw_port});
  std::array<std::uint8_t, 16> buffer{};
  boost::system::error_code ec;
  second.read_some(asio::buffer(buffer), ec);
  EXPECT_EQ(ec, asio::error::eof) << "the second connection should be closed at once: " << ec.message();
  EXPECT_NE(relay_->log_text().find("--tunnel-max-tcp"), std::string::npos) << relay_->log_text();
}

TEST(TunnelOffTest, WithoutTunnelsTheEndpointIsRefused) {
  RelayDaemon relay;
  relay.start(relayd_path(), {"--tunnel-domain", kDomain});
  const auto refused = http_get(relay.port(), "/tunnel", 30s,
                                {{"Connection", "Upgrade"}, {"Upgrade", "websocket"}, {"Sec-WebSocket-Version", "13"},
                                 {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}});
  EXPECT_EQ(refused.status, 403u);
  EXPECT_NE(refused.body.find("tunnels are not enabled"), std::string::npos) << refused.body;
}

TEST(TunnelCliTest, NamesWhatIsMissing) {
  TempDir dir("sshrelay-tunnel-cli");
  EXPECT_EQ(testing::run({SSHRELAY_CLI_PATH, "tunnel", "--relay", "ws://127.0.0.1:9"}, "", dir.file("out"), dir.file("err"), 30s), 2);
  EXPECT_NE(testing::read_file(dir.file("err")).find("--to HOST:PORT is required"), std::string::npos) << testing::read_file(dir.file("err"));
  EXPECT_EQ(testing::run({SSHRELAY_CLI_PATH, "tunnel", "--relay", "ws://127.0.0.1:9", "--to", "nowhere"}, "", dir.file("out"),
                         dir.file("err2"), 30s),
            2);
  EXPECT_NE(testing::read_file(dir.file("err2")).find("expected HOST:PORT"), std::string::npos);
  // A relay that is not there: the first connection fails, said in words.
  EXPECT_EQ(testing::run({SSHRELAY_CLI_PATH, "tunnel", "--relay", "ws://127.0.0.1:9", "--to", "127.0.0.1:80"}, "", dir.file("out"),
                         dir.file("err3"), 60s),
            5);
  EXPECT_NE(testing::read_file(dir.file("err3")).find("sshrelay tunnel:"), std::string::npos) << testing::read_file(dir.file("err3"));
}

}  // namespace
}  // namespace sshrelay::itest
