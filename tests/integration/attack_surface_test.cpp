// Attacks on the relay's wire handling that it already withstands, kept as tests so they keep passing:
// slow and malformed HTTP, WebSocket frames no browser would send, v4 messages that break the protocol,
// and many reconnects racing for one session. Each case checks what the attacker gets back (a status,
// a close code) and that the relay is still serving afterwards.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <boost/asio/write.hpp>

#include "core/wire/v4_frame.hpp"
#include "core/wire/v4_url.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_wire.hpp"
#include "tests/support/files.hpp"
#include "tests/support/relay_daemon.hpp"

namespace sshrelay::itest {
namespace {

using testing::RelayDaemon;

class AttackSurfaceTest : public ::testing::Test {
 protected:
  void start_relay(std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), "--unsafe-allow-loopback");
    relay_.start(relayd_path(), std::move(extra));
  }
  std::string log() const { return "\n--- relayd log:\n" + testing::file_tail(relay_.log_path()); }
  std::string connect_request(std::uint16_t target_port) const {
    return upgrade_request(relay_.port(), v4::connect_request_target("", "127.0.0.1", target_port, "tester"));
  }
  bool relay_alive() {
    try {
      return http_get(relay_.port(), "/healthz").status == 200;
    } catch (const std::exception&) {
      return false;
    }
  }
  // Opens a session, sends `wire_bytes` raw on the socket, returns the close code the relay answers with
  // (0 if the connection ended without a close frame).
  std::uint16_t close_code_after(const std::vector<std::uint8_t>& wire_bytes, std::string* reason = nullptr) {
    RawV4Wire wire(relay_.port(), connect_request(echo_.port()));
    auto connected = wire.next_message();
    EXPECT_TRUE(connected) << log();
    EXPECT_TRUE(wire.connection().send(wire_bytes));
    for (int i = 0; i < 1000 && wire.next_message(10s); ++i) {
    }
    if (!wire.close_frame()) return 0;
    if (reason) *reason = wire.close_frame()->close_reason();
    return wire.close_frame()->close_code();
  }

  RelayDaemon relay_;
  TcpTarget echo_{TcpTarget::echo()};
};

TEST_F(AttackSurfaceTest, SlowlorisIsCutAtTheRequestTimeout) {
  start_relay({"--request-timeout-seconds", "2"});
  RawConnection slow(relay_.port());
  const std::string request = get_request(relay_.port(), "/healthz");
  // One byte every 300 ms: a request that would take 20 s. The relay must give up on it at about 2 s.
  std::size_t sent = 0;
  const auto start = std::chrono::steady_clock::now();
  for (; sent < 60 && slow.send(request.substr(sent, 1)); ++sent) {
    if (slow.drain(300ms) == ReadEnd::eof) break;
  }
  const auto held = std::chrono::steady_clock::now() - start;
  EXPECT_LT(sent, 60u) << "the relay kept a 1-byte-per-300-ms request open for " << sent << " bytes";
  EXPECT_LT(held, 15s);
  EXPECT_TRUE(relay_alive()) << log();
}

TEST_F(AttackSurfaceTest, MalformedUpgradesGetHttpErrors) {
  start_relay();
  const std::string p = std::to_string(relay_.port());
  const std::string target = v4::connect_request_target("", "127.0.0.1", echo_.port(), "x");
  struct Case {
    std::string request;
    unsigned status;
  };
  const std::vector<Case> cases = {
      {upgrade_request(relay_.port(), target, {"Sec-WebSocket-Version: 8"}), 426},
      {"GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + p + "\r\n\r\n", 426},  // no Upgrade at all
      {upgrade_request(relay_.port(), "/nowhere"), 404},
      {"GET " + target + " HTTP/1.0\r\n\r\n", 400},  // no Host
      {"BREW /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 405},
  };
  for (const auto& c : cases) {
    RawConnection conn(relay_.port());
    ASSERT_TRUE(conn.send(c.request));
    auto response = conn.read_http_response();
    ASSERT_TRUE(response) << c.request << log();
    EXPECT_EQ(response->status, c.status) << c.request << response->body;
  }
  EXPECT_EQ(echo_.accepted(), 0u);
  EXPECT_TRUE(relay_alive()) << log();
}

TEST_F(AttackSurfaceTest, FramesNoBrowserSendsAreClosedWithProtocolCodes) {
  start_relay();
  const auto data = v4::encode(v4::Data{bytes_of("hi")});
  EXPECT_EQ(close_code_after(client_frame(2, data, /*masked=*/false)), 1002) << "unmasked";
  EXPECT_EQ(close_code_after(client_frame(2, data, true, /*rsv=*/4)), 1002) << "RSV1 without an extension";
  EXPECT_EQ(close_code_after(client_frame(5, data)), 1002) << "reserved opcode";
  EXPECT_EQ(close_code_after(client_frame(0, data)), 1002) << "continuation without a start";
  std::string reason;
  EXPECT_EQ(close_code_after(client_frame(1, bytes_of("text")), &reason), 1003) << "text frame";
  EXPECT_NE(reason.find("binary"), std::string::npos) << reason;
  // A declared length of 2^62 (and of one byte over the v4 maximum): refused before any of it is read.
  EXPECT_EQ(close_code_after(client_frame(2, {}, true, 0, std::uint64_t{1} << 62)), 1009) << "2^62 bytes";
  EXPECT_EQ(close_code_after(client_frame(2, {}, true, 0, v4::kDataHeaderSize + v4::kMaxDataPayload + 1)), 1009);
  // A 64-bit length with the top bit set (invalid in itself) is refused by the same size check.
  EXPECT_EQ(close_code_after(client_frame(2, {}, true, 0, std::uint64_t{1} << 63)), 1009) << "2^63 bytes";
  // Control frames: too long, or fragmented.
  EXPECT_EQ(close_code_after(client_frame(9, std::vector<std::uint8_t>(126, 'p'))), 1002) << "long ping";
  EXPECT_EQ(close_code_after(client_frame(9, bytes_of("p"), true, 0, {}, /*fin=*/false)), 1002) << "fragmented ping";
  EXPECT_TRUE(relay_alive()) << log();
}

TEST_F(AttackSurfaceTest, V4MessagesThatBreakTheProtocolAreClosedWith1002) {
  start_relay();
  auto as_frame = [](std::vector<std::uint8_t> message) { return client_frame(2, message); };
  std::string reason;
  EXPECT_EQ(close_code_after(as_frame({0x00, 0x09, 0, 0, 0, 1, 'x'}), &reason), 1002) << "unknown tag";
  EXPECT_NE(reason.find("tag"), std::string::npos) << reason;
  EXPECT_EQ(close_code_after(as_frame(v4::encode(v4::ReconnectSuccess{0}))), 1002) << "server-only tag";
  EXPECT_EQ(close_code_after(as_frame({0x00, 0x04, 0, 0, 0x40, 0x01})), 1002) << "DATA over 16 KiB";
  EXPECT_EQ(close_code_after(as_frame({0x00, 0x04, 0, 0, 0, 5, 'a', 'b'})), 1002) << "DATA shorter than its length";
  EXPECT_EQ(close_code_after(as_frame({0x00, 0x04, 0, 0, 0, 1, 'a', 'b'})), 1002) << "DATA longer than its length";
  EXPECT_EQ(close_code_after(as_frame({0x00, 0x04, 0, 0, 0, 0})), 1002) << "empty DATA";
  EXPECT_EQ(close_code_after(as_frame({0x00, 0x07, 0, 0})), 1002) << "truncated ACK";
  EXPECT_EQ(close_code_after(as_frame({0x00})), 1002) << "one byte";
  EXPECT_EQ(close_code_after(as_frame({})), 1002) << "empty message";
  EXPECT_EQ(close_code_after(as_frame(v4::encode(v4::Ack{1}))), 1002) << "ACK beyond what was sent";
  EXPECT_TRUE(relay_alive()) << log();
}

TEST_F(AttackSurfaceTest, AckBackwardsIsClosedWith1002) {
  start_relay();
  RawV4Wire wire(relay_.port(), connect_request(echo_.port()));
  ASSERT_TRUE(wire.next_message()) << log();
  ASSERT_TRUE(wire.send(v4::encode(v4::Data{bytes_of("0123456789")})));
  std::uint64_t echoed = 0;
  for (int i = 0; i < 100 && echoed < 10; ++i) {
    auto message = wire.next_message();
    ASSERT_TRUE(message) << log();
    auto frame = v4::decode_message(*message);
    if (frame && std::holds_alternative<v4::Data>(*frame)) echoed += std::get<v4::Data>(*frame).payload.size();
  }
  ASSERT_TRUE(wire.send(v4::encode(v4::Ack{8})));
  ASSERT_TRUE(wire.send(v4::encode(v4::Ack{7})));
  for (int i = 0; i < 100 && wire.next_message(); ++i) {
  }
  ASSERT_TRUE(wire.close_frame()) << log();
  EXPECT_EQ(wire.close_frame()->close_code(), 1002);
  EXPECT_NE(wire.close_frame()->close_reason().find("backwards"), std::string::npos);
}

TEST_F(AttackSurfaceTest, ReconnectsWithMalformedOrUnknownSidsAreRefused) {
  start_relay();
  const std::vector<std::string> targets = {
      "/v4/reconnect?sid=AAAAAAAAAAAAAAAAAAAAAAAA&ack=0", "/v4/reconnect?sid=short&ack=0",
      "/v4/reconnect?sid=%00%01%02AAAAAAAAAAAAAAAAAAAAAA&ack=0", "/v4/reconnect?ack=0",
      "/v4/reconnect?sid=" + std::string(200, 'A') + "&ack=0"};
  for (const auto& target : targets) {
    RawV4Wire wire(relay_.port(), upgrade_request(relay_.port(), target));
    EXPECT_FALSE(wire.next_message()) << target;
    ASSERT_TRUE(wire.close_frame()) << target << log();
    EXPECT_EQ(wire.close_frame()->close_code(), 4404) << target;
  }
  EXPECT_TRUE(relay_alive()) << log();
}

// 200 sockets race to resume one session from ack 0, each evicting the one before. Whatever each gets
// before it is evicted must be a correct prefix of the target's bytes: nothing skipped, nothing
// repeated, nothing from anywhere else.
TEST_F(AttackSurfaceTest, TwoHundredReconnectsRacingForOneSessionEachReplayACorrectPrefix) {
  start_relay({"--max-replay-buffer", "2MiB"});
  const std::size_t size = 1 << 20;
  const auto pattern = std::make_shared<const std::vector<std::uint8_t>>(deterministic_bytes(size, 7));
  TcpTarget target([pattern](tcp::socket& socket) {
    error_code ec;
    asio::write(socket, asio::buffer(*pattern), ec);
    std::uint8_t sink[4096];
    for (int reads = 0; reads < 100000 && !ec; ++reads) socket.read_some(asio::buffer(sink), ec);
  });
  std::string sid;
  {
    RawV4Wire first(relay_.port(), connect_request(target.port()));
    auto connected = first.next_message();
    ASSERT_TRUE(connected) << log();
    sid = std::get<v4::ConnectSuccess>(*v4::decode_message(*connected)).session_id;
    std::uint64_t got = 0;
    while (got < size / 2) {
      auto message = first.next_message();
      ASSERT_TRUE(message) << log();
      auto frame = v4::decode_message(*message);
      if (frame && std::holds_alternative<v4::Data>(*frame)) got += std::get<v4::Data>(*frame).payload.size();
    }
    first.connection().reset();
  }
  const std::string request = upgrade_request(relay_.port(), v4::reconnect_request_target("", sid, 0));
  constexpr int kRacers = 200;
  std::atomic<int> resumed{0}, wrong{0}, refused{0};
  std::vector<std::thread> racers;
  for (int i = 0; i < kRacers; ++i) {
    racers.emplace_back([&] {
      try {
        RawV4Wire wire(relay_.port(), request, 64 * 1024);
        std::vector<std::uint8_t> replay;
        bool first_message = true;
        for (int n = 0; n < 10000; ++n) {
          auto message = wire.next_message(20s);
          if (!message) break;
          auto frame = v4::decode_message(*message);
          if (!frame) {
            ++wrong;
            return;
          }
          if (first_message) {
            first_message = false;
            if (!std::holds_alternative<v4::ReconnectSuccess>(*frame)) ++wrong;
            ++resumed;
            continue;
          }
          if (auto* data = std::get_if<v4::Data>(&*frame)) replay.insert(replay.end(), data->payload.begin(), data->payload.end());
          if (replay.size() >= size) break;
        }
        if (first_message) ++refused;  // closed (4404 once the winner ended the session) or evicted before
        if (replay.size() > size || !std::equal(replay.begin(), replay.end(), pattern->begin())) ++wrong;
      } catch (const std::exception&) {
        ++refused;
      }
    });
  }
  for (auto& t : racers) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(resumed.load(), 0);
  EXPECT_EQ(resumed.load() + refused.load(), kRacers);
  EXPECT_TRUE(relay_alive()) << log();
  // The session survives the race: one more reconnect resumes it.
  RawV4Wire last(relay_.port(), request);
  auto message = last.next_message();
  ASSERT_TRUE(message) << log();
  EXPECT_TRUE(std::holds_alternative<v4::ReconnectSuccess>(*v4::decode_message(*message)));
}

}  // namespace
}  // namespace sshrelay::itest
