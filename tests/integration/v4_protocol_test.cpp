// The relay's v4 endpoints at the protocol level, driven by raw Beast WebSockets and by the native
// client over an in-memory local side: refusals by close code, eviction on reconnect, target EOF,
// replay memory under a slow reader, SIGTERM with a live session, and SIGPIPE ignored.
#include <gtest/gtest.h>

#include <boost/asio/write.hpp>
#include <array>
#include <csignal>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/wire/close_code.hpp"
#include "core/wire/query.hpp"
#include "tests/integration/harness.hpp"
#include "tests/support/files.hpp"
#include "tests/support/relay_daemon.hpp"
#include "tests/support/sha256.hpp"

namespace sshrelay::itest {
namespace {

using testing::RelayDaemon;
using Kind = RawV4Socket::Message::Kind;


class V4ProtocolTest : public ::testing::Test {
 protected:
  void start_relay(std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), "--unsafe-allow-loopback");
    relay_.start(relayd_path(), std::move(extra));
  }
  std::string log() const { return "\n--- relayd log:\n" + testing::file_tail(relay_.log_path()); }

  std::string connect_to(const TcpTarget& target) const {
    return "/v4/connect?host=127.0.0.1&port=" + std::to_string(target.port()) + "&dstUsername=tester";
  }

  // Reads the socket's CONNECT_SUCCESS: the session id, or "" (with a test failure) for anything else.
  std::string session_id_from(RawV4Socket& ws) const {
    auto connected = frame_of(ws.read());
    EXPECT_TRUE(std::holds_alternative<v4::ConnectSuccess>(connected)) << log();
    return std::holds_alternative<v4::ConnectSuccess>(connected) ? std::get<v4::ConnectSuccess>(connected).session_id : "";
  }

  RelayDaemon relay_;
  IoThread io_;
};


TEST_F(V4ProtocolTest, ReconnectWithUnknownSidIsClosedWith4404) {
  start_relay();
  RawV4Socket ws(relay_.port(), "/v4/reconnect?sid=AAAAAAAAAAAAAAAAAAAAAAAAAAAA&ack=0");
  EXPECT_EQ(ws.subprotocol(), "ssh");
  auto m = ws.read();
  ASSERT_EQ(m.kind, Kind::closed) << m.describe() << log();
  EXPECT_EQ(m.close_code, 4404) << m.close_reason;
}

TEST_F(V4ProtocolTest, SecondReconnectEvictsTheFirst) {
  start_relay();
  TcpTarget echo(TcpTarget::echo());

  RawV4Socket first(relay_.port(), connect_to(echo));
  auto connected = frame_of(first.read());
  ASSERT_TRUE(std::holds_alternative<v4::ConnectSuccess>(connected)) << log();
  const auto sid = std::get<v4::ConnectSuccess>(connected).session_id;
  ASSERT_FALSE(sid.empty());
  ASSERT_TRUE(first.write_frame(v4::Data{bytes_of("hello")}));
  ASSERT_EQ(read_payload(first, 5), "hello") << log();

  const std::string reconnect = "/v4/reconnect?sid=" + percent_encode_component(sid) + "&ack=5";
  RawV4Socket second(relay_.port(), reconnect);
  auto resumed = frame_of(second.read());
  ASSERT_TRUE(std::holds_alternative<v4::ReconnectSuccess>(resumed)) << log();
  EXPECT_EQ(std::get<v4::ReconnectSuccess>(resumed).ack, 5u);

  // The original socket was superseded by the first reconnect: it is gone, not resumable.
  auto evicted = first.read_until_not_ack(30s);
  EXPECT_TRUE(evicted.kind == Kind::error || evicted.kind == Kind::closed) << evicted.describe();

  RawV4Socket third(relay_.port(), reconnect);
  auto resumed_again = frame_of(third.read());
  ASSERT_TRUE(std::holds_alternative<v4::ReconnectSuccess>(resumed_again)) << log();
  EXPECT_EQ(std::get<v4::ReconnectSuccess>(resumed_again).ack, 5u);

  // The first reconnect socket is now the evicted one: closed or reset, with no more data.
  auto second_evicted = second.read_until_not_ack(30s);
  EXPECT_TRUE(second_evicted.kind == Kind::error || second_evicted.kind == Kind::closed) << second_evicted.describe();

  // The survivor carries the session on: bytes after offset 5 go through the echo target and back.
  ASSERT_TRUE(third.write_frame(v4::Data{bytes_of("after-eviction")}));
  EXPECT_EQ(read_payload(third, 14), "after-eviction") << log();
  EXPECT_EQ(echo.accepted(), 1u);  // one target connection for the whole session
}

// A client's socket dies in the middle of a WebSocket message (the usual case for a bulk upload). The
// relay must discard the partial message: the next socket of the session starts from a clean slate.
TEST_F(V4ProtocolTest, PartialMessageOnADeadSocketIsDiscarded) {
  start_relay();
  TcpTarget echo(TcpTarget::echo());
  std::string sid;
  {
    RawV4Socket first(relay_.port(), connect_to(echo));
    sid = session_id_from(first);
    ASSERT_FALSE(sid.empty());

    // One masked binary frame carrying a full DATA frame (6 + 16384 bytes); only its first half is sent.
    const auto message = v4::encode(v4::Data{std::vector<std::uint8_t>(v4::kMaxDataPayload, 0x5a)});
    const std::uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
    std::vector<std::uint8_t> wire = {0x82, 0x80 | 126, static_cast<std::uint8_t>(message.size() >> 8),
                                      static_cast<std::uint8_t>(message.size() & 0xff)};
    wire.insert(wire.end(), mask, mask + 4);
    for (std::size_t i = 0; i < message.size(); ++i) wire.push_back(message[i] ^ mask[i % 4]);
    ASSERT_TRUE(first.write_raw(std::span(wire).first(wire.size() / 2)));
    // Give the relay a moment to read (and buffer) the partial message. Nothing observable says it has;
    // if it has not, the reset discards the bytes in the kernel instead, and the check below still holds.
    std::this_thread::sleep_for(300ms);
    first.reset();
  }
  // The relay noticed the reset (rather than the reconnect evicting a socket it still thought alive).
  ASSERT_TRUE(wait_until([&] { return relay_.log_text().find("sid=" + sid + " detached") != std::string::npos; }, 60s))
      << log();

  RawV4Socket second(relay_.port(), "/v4/reconnect?sid=" + percent_encode_component(sid) + "&ack=0");
  auto resumed = frame_of(second.read());
  ASSERT_TRUE(std::holds_alternative<v4::ReconnectSuccess>(resumed)) << log();
  EXPECT_EQ(std::get<v4::ReconnectSuccess>(resumed).ack, 0u) << "nothing of the partial message was received";
  ASSERT_TRUE(second.write_frame(v4::Data{bytes_of("after-partial")}));
  EXPECT_EQ(read_payload(second, 13), "after-partial") << log();
}

TEST_F(V4ProtocolTest, TargetEofDeliversEverythingThenCloses1000) {
  start_relay();
  auto payload = std::make_shared<const std::vector<std::uint8_t>>(deterministic_bytes(1 * kMiB, 7));
  TcpTarget pusher(TcpTarget::push(payload));
  MemoryClient c(io_.ioc(), client_options(relay_.port(), "127.0.0.1", pusher.port()));
  c.start();
  ASSERT_TRUE(c.wait_done(120s)) << c.describe() << log();
  EXPECT_FALSE(c.ec()) << c.describe();
  EXPECT_EQ(c.close().code, 1000) << c.describe();
  ASSERT_EQ(c.sink().size(), payload->size());
  std::lock_guard lock(c.sink().mutex);
  EXPECT_EQ(testing::sha256_hex(c.sink().data), testing::sha256_hex(*payload));
}

TEST_F(V4ProtocolTest, TargetEofThroughRawSocketEndsWithDataThenClose1000) {
  start_relay();
  auto payload = std::make_shared<const std::vector<std::uint8_t>>(deterministic_bytes(1 * kMiB, 8));
  TcpTarget pusher(TcpTarget::push(payload));
  RawV4Socket ws(relay_.port(), connect_to(pusher));
  ASSERT_TRUE(std::holds_alternative<v4::ConnectSuccess>(frame_of(ws.read()))) << log();
  std::vector<std::uint8_t> got;
  for (;;) {
    auto m = ws.read(60s);
    if (m.kind == Kind::closed) {
      EXPECT_EQ(m.close_code, 1000) << m.close_reason;
      break;
    }
    ASSERT_EQ(m.kind, Kind::message) << m.describe() << log();
    auto frame = frame_of(m);
    auto* data = std::get_if<v4::Data>(&frame);
    ASSERT_TRUE(data) << "only DATA is expected from the relay here, got frame index " << frame.index();
    EXPECT_LE(data->payload.size(), v4::kMaxDataPayload);
    EXPECT_FALSE(data->payload.empty());
    got.insert(got.end(), data->payload.begin(), data->payload.end());
    // ACK as the extension does, so the relay's replay window keeps moving.
    ASSERT_TRUE(ws.write_frame(v4::Ack{got.size()}));
  }
  EXPECT_EQ(got.size(), payload->size());
  EXPECT_TRUE(got == *payload);
}

TEST_F(V4ProtocolTest, SlowReaderSurvivesWithinTheReplayBudget) {
  start_relay({"--max-replay-buffer", "262144", "--max-replay-memory", "1048576"});
  auto payload = std::make_shared<const std::vector<std::uint8_t>>(deterministic_bytes(32 * kMiB, 9));
  TcpTarget pusher(TcpTarget::push(payload));
  MemoryClient c(io_.ioc(), client_options(relay_.port(), "127.0.0.1", pusher.port()));
  c.sink().write_rate = 2 * kMiB;  // bytes per second
  const auto began = std::chrono::steady_clock::now();
  c.start();
  std::this_thread::sleep_for(3s);
  const auto slow_bytes = c.sink().size();
  // What the rate allows in the time that really passed (a loaded machine oversleeps), plus the original
  // 6 MiB of slack for buffers and the write in progress.
  const double slow_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  EXPECT_LT(slow_bytes, static_cast<std::uint64_t>(slow_seconds * 2 * kMiB) + 6 * kMiB)
      << "the rate limit did not hold (" << slow_seconds << " s)";
  c.sink().write_rate = 0;
  ASSERT_TRUE(c.wait_done(240s)) << c.describe() << log();
  EXPECT_FALSE(c.ec()) << c.describe();
  EXPECT_EQ(c.close().code, 1000) << c.describe();
  EXPECT_EQ(c.connection().reconnects(), 0u);
  ASSERT_EQ(c.sink().size(), payload->size());
  {
    std::lock_guard lock(c.sink().mutex);
    EXPECT_EQ(testing::sha256_hex(c.sink().data), testing::sha256_hex(*payload));
  }
  const auto statz = http_get(relay_.port(), "/statz");
  ASSERT_EQ(statz.status, 200u) << statz.body;
  const auto json = nlohmann::json::parse(statz.body);
  EXPECT_LE(json.at("replay_bytes_peak").get<std::uint64_t>(), 1048576u) << statz.body;
  EXPECT_GT(json.at("replay_bytes_peak").get<std::uint64_t>(), 0u) << statz.body;
  EXPECT_EQ(json.at("replay_budget").get<std::uint64_t>(), 1048576u) << statz.body;
}

TEST_F(V4ProtocolTest, OriginNotAllowedIsClosedWith4403) {
  start_relay({"--allowed-origins", "chrome-extension://iodihamcpbpeioajjeobimgagajmlibd"});
  TcpTarget echo(TcpTarget::echo());

  RawV4Socket ws(relay_.port(), connect_to(echo), "https://evil.example");
  auto m = ws.read();
  ASSERT_EQ(m.kind, Kind::closed) << m.describe() << log();
  EXPECT_EQ(m.close_code, 4403) << m.close_reason;

  // The native client reports the relay's refusal as the session's end, without retrying.
  auto options = client_options(relay_.port(), "127.0.0.1", echo.port());
  options.transport.origin = "https://evil.example";
  MemoryClient c(io_.ioc(), options);
  c.start();
  ASSERT_TRUE(c.wait_done(60s)) << c.describe();
  EXPECT_EQ(c.close().code, 4403) << c.describe();
  EXPECT_EQ(echo.accepted(), 0u) << "a refused origin must not reach the target";

  // An allowed origin works.
  RawV4Socket allowed(relay_.port(), connect_to(echo), "chrome-extension://iodihamcpbpeioajjeobimgagajmlibd");
  EXPECT_TRUE(std::holds_alternative<v4::ConnectSuccess>(frame_of(allowed.read()))) << log();
}

TEST_F(V4ProtocolTest, SigtermClosesLiveSessionWith1012AndExitsZero) {
  // A shutdown timeout far beyond the bound below: the daemon must exit because its session closed, not
  // because it gave up waiting (which, with the 5 s default, a loaded machine could not tell apart).
  start_relay({"--shutdown-seconds", "120"});
  TcpTarget echo(TcpTarget::echo());
  MemoryClient c(io_.ioc(), client_options(relay_.port(), "127.0.0.1", echo.port()));
  c.start();
  ASSERT_TRUE(wait_until([&] { return !c.connection().session_id().empty(); }, 60s)) << c.describe() << log();

  const auto began = std::chrono::steady_clock::now();
  const int code = relay_.stop(90s);
  const auto took = std::chrono::steady_clock::now() - began;
  EXPECT_EQ(code, 0) << log();
  EXPECT_LT(took, 60s);
  ASSERT_TRUE(c.wait_done(60s)) << c.describe();
  EXPECT_FALSE(c.ec()) << c.describe();
  EXPECT_EQ(c.close().code, 1012) << c.describe() << log();
}

// A client that vanished while a cluster node spliced bytes to it made the node's next splice(2) raise
// SIGPIPE, which ended the daemon silently (ClusterSshTest then found that node refusing connections).
TEST_F(V4ProtocolTest, SigpipeDoesNotEndTheDaemon) {
  start_relay();
  ASSERT_EQ(::kill(relay_.pid(), SIGPIPE), 0);
  TcpTarget echo(TcpTarget::echo());
  RawV4Socket ws(relay_.port(), connect_to(echo));
  EXPECT_FALSE(session_id_from(ws).empty());
  EXPECT_TRUE(relay_.running()) << log();
}

// Liveness: a client that reads answers the relay's pings and stays attached through quiet seconds; one
// that stops reading leaves a ping unanswered and is detached, and its session resumes.
//
// Staying attached is a "nothing happened" verdict: the pong must reach the relay within one ping
// interval, so the interval is 3 s rather than 1 s, a margin no scheduling delay on a loaded machine
// comes near. The relay's ticks: 3 s (the attach counts as heard), 6 s (ping), 9 s (was it answered?).
TEST_F(V4ProtocolTest, QuietClientThatAnswersPingsStaysAttached) {
  start_relay({"--ping-seconds", "3"});
  // Ten quiet seconds, past the 9 s verdict on the ping, then a word from the target.
  TcpTarget late([](tcp::socket& socket) {
    std::this_thread::sleep_for(10s);
    error_code ignored;
    asio::write(socket, asio::buffer(std::string_view("late")), ignored);
  });
  RawV4Socket ws(relay_.port(), connect_to(late));
  ASSERT_TRUE(std::holds_alternative<v4::ConnectSuccess>(frame_of(ws.read()))) << log();
  EXPECT_EQ(read_payload(ws, 4), "late") << log();  // Beast answers the relay's pings while this reads
  EXPECT_EQ(relay_.log_text().find("detached"), std::string::npos) << log();
}

TEST_F(V4ProtocolTest, ClientThatStopsAnsweringIsDetachedAndCanResume) {
  start_relay({"--ping-seconds", "1"});
  TcpTarget echo(TcpTarget::echo());
  RawV4Socket ws(relay_.port(), connect_to(echo));
  auto connected = frame_of(ws.read());
  ASSERT_TRUE(std::holds_alternative<v4::ConnectSuccess>(connected)) << log();
  const auto sid = std::get<v4::ConnectSuccess>(connected).session_id;
  // Not reading: the relay's ping goes unanswered.
  ASSERT_TRUE(wait_until([&] { return relay_.log_text().find("no answer to a ping") != std::string::npos; }, 60s))
      << log();
  RawV4Socket again(relay_.port(), "/v4/reconnect?sid=" + percent_encode_component(sid) + "&ack=0");
  ASSERT_TRUE(std::holds_alternative<v4::ReconnectSuccess>(frame_of(again.read()))) << log();
  ASSERT_TRUE(again.write_frame(v4::Data{bytes_of("resumed")}));
  EXPECT_EQ(read_payload(again, 7), "resumed") << log();
}

// As with the Python relay, a clean close handshake only detaches the session (a front proxy that restarts
// closes cleanly): a reconnect within the grace period gets the bytes the client had not acknowledged.
TEST_F(V4ProtocolTest, ACleanCloseDetachesAndAReconnectReplays) {
  start_relay();
  TcpTarget echo(TcpTarget::echo());
  std::string sid;
  {
    RawV4Socket first(relay_.port(), connect_to(echo));
    sid = session_id_from(first);
    ASSERT_FALSE(sid.empty());
    ASSERT_TRUE(first.write_frame(v4::Data{bytes_of("before-close")}));
    EXPECT_EQ(read_payload(first, 12), "before-close") << log();  // received, never acknowledged
    first.close_with(1001, "proxy restarting");
  }
  ASSERT_TRUE(wait_until([&] { return relay_.log_text().find("sid=" + sid + " detached (client closed the WebSocket (1001))") !=
                                      std::string::npos; }, 60s))
      << log();
  RawV4Socket again(relay_.port(), "/v4/reconnect?sid=" + percent_encode_component(sid) + "&ack=0");
  auto resumed = frame_of(again.read());
  ASSERT_TRUE(std::holds_alternative<v4::ReconnectSuccess>(resumed)) << log();
  EXPECT_EQ(std::get<v4::ReconnectSuccess>(resumed).ack, 12u);
  EXPECT_EQ(read_payload(again, 12), "before-close") << "replayed from ack 0" << log();
  ASSERT_TRUE(again.write_frame(v4::Data{bytes_of("after")}));
  EXPECT_EQ(read_payload(again, 5), "after") << log();
}

// sshrelay's own clients end a session explicitly (close 4000): nothing lingers, and a reconnect is refused.
TEST_F(V4ProtocolTest, AnExplicitEndIsFinal) {
  start_relay();
  TcpTarget echo(TcpTarget::echo());
  RawV4Socket first(relay_.port(), connect_to(echo));
  const auto sid = session_id_from(first);
  ASSERT_FALSE(sid.empty());
  EXPECT_TRUE(first.close_with(close_code::client_ended, "bye")) << "the relay answers the close" << log();
  ASSERT_TRUE(wait_until([&] { return relay_.log_text().find("sid=" + sid + " closed 1000 \"client ended the session\"") !=
                                      std::string::npos; }, 60s))
      << log();
  RawV4Socket again(relay_.port(), "/v4/reconnect?sid=" + percent_encode_component(sid) + "&ack=0");
  const auto refused = again.read();
  ASSERT_EQ(refused.kind, Kind::closed) << refused.describe() << log();
  EXPECT_EQ(refused.close_code, 4404) << refused.close_reason;
}

// A target that speaks first and hangs up at once, without reading (an SSH-1 server refusing us): its
// bytes still reach the client, followed by a close frame, never by a bare reset, even while the
// client's own first bytes are on their way to the closed target.
TEST_F(V4ProtocolTest, TargetThatHangsUpAtOnceStillDeliversItsBytesAndACloseFrame) {
  start_relay();
  TcpTarget hang_up([](tcp::socket& socket) {
    error_code ignored;
    asio::write(socket, asio::buffer(std::string_view("SSH-1.5-fake\r\n")), ignored);
    socket.close(ignored);
  });
  // Each attempt races the target's EOF against the relay's reads. The client ACKs what it got, as the
  // Secure Shell extension does, so the relay closes at once; the last attempt does not ACK, and the
  // relay closes after its final-ACK wait and ping instead.
  constexpr int kAttempts = 20;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    RawV4Socket ws(relay_.port(), connect_to(hang_up));
    ASSERT_TRUE(std::holds_alternative<v4::ConnectSuccess>(frame_of(ws.read()))) << log();
    ASSERT_TRUE(ws.write_frame(v4::Data{bytes_of("SSH-2.0-client\r\n")}));
    EXPECT_EQ(read_payload(ws, 14), "SSH-1.5-fake\r\n") << log();
    if (attempt + 1 < kAttempts) {
      ASSERT_TRUE(ws.write_frame(v4::Ack{14}));
    }
    const auto end = ws.read_until_not_ack();
    ASSERT_EQ(end.kind, Kind::closed) << end.describe() << log();
  }
}

// An upload burst: the relay may hold ACKs back while more DATA is already waiting (one per 64 KiB
// instead of one per message), but the last DATA of the burst is always ACKed, without the client
// having to send anything more.
TEST_F(V4ProtocolTest, UploadBurstIsAcknowledgedToTheLastByte) {
  start_relay();
  TcpTarget sink([](tcp::socket& socket) {
    std::array<char, 65536> buffer{};
    error_code ec;
    while (!ec) socket.read_some(asio::buffer(buffer), ec);
  });
  RawV4Socket ws(relay_.port(), connect_to(sink));
  ASSERT_TRUE(std::holds_alternative<v4::ConnectSuccess>(frame_of(ws.read()))) << log();
  constexpr int kMessages = 64;
  const std::vector<std::uint8_t> payload(v4::kMaxDataPayload, 0x42);
  for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(ws.write_frame(v4::Data{payload}));
  const std::uint64_t total = std::uint64_t{kMessages} * payload.size();
  std::uint64_t acked = 0;
  int acks = 0;
  while (acked < total) {
    const auto m = ws.read(60s);
    ASSERT_EQ(m.kind, Kind::message) << "waiting for ACK " << total << ", have " << acked << ": " << m.describe() << log();
    auto frame = frame_of(m);
    const auto* ack = std::get_if<v4::Ack>(&frame);
    ASSERT_NE(ack, nullptr);
    ASSERT_GT(ack->ack, acked) << "ACKs only move forward";
    acked = ack->ack;
    ++acks;
  }
  EXPECT_EQ(acked, total);
  EXPECT_LE(acks, kMessages);
  std::cout << "[          ] " << acks << " ACKs for " << kMessages << " DATA messages\n";
}

}  // namespace
}  // namespace sshrelay::itest
