#include "core/session/v4_server_session.hpp"

#include <gtest/gtest.h>

#include "core/wire/close_code.hpp"
#include "core/wire/v4_frame.hpp"
#include "tests/core/virtual_time.hpp"

namespace sshrelay {
namespace {

using Bytes = std::vector<std::uint8_t>;
using testing::t0;

V4ServerSessionConfig config() { return {1 << 20, Duration{120000}, Duration{30000}, 64 * 1024}; }

// The frame inside a SendMessage output (a gtest failure for anything else).
v4::Frame frame_of(const std::optional<ClientOutput>& out) {
  EXPECT_TRUE(out && std::holds_alternative<SendMessage>(*out));
  if (!out || !std::holds_alternative<SendMessage>(*out)) return v4::Ack{~0ull};
  return *v4::decode_message(*std::get<SendMessage>(*out).bytes);
}

V4ServerSession attached_session() {
  V4ServerSession s(config(), "sid-0123456789abcdefghij");
  EXPECT_TRUE(s.attach(std::nullopt, t0));
  EXPECT_TRUE(std::holds_alternative<v4::ConnectSuccess>(frame_of(s.next_client_output(t0))));
  return s;
}

TEST(V4ServerSession, FirstSocketGetsConnectSuccessAndALaterConnectIsRefused) {
  auto s = attached_session();
  EXPECT_FALSE(s.next_client_output(t0));
  EXPECT_EQ(s.attach(std::nullopt, t0).error().kind, ErrorKind::local);
}

TEST(V4ServerSession, ARefusedReconnectChangesNothingAndAGoodOneSupersedes) {
  auto s = attached_session();
  s.on_target_data(Bytes(100, 'x'), t0);
  (void)frame_of(s.next_client_output(t0));  // 100 bytes written
  EXPECT_FALSE(s.check_reconnect(101));
  EXPECT_FALSE(s.attach(std::uint64_t{101}, t0));
  EXPECT_TRUE(s.attached());
  EXPECT_EQ(s.stream().bytes_sent(), 100u);
  ASSERT_TRUE(s.attach(std::uint64_t{40}, t0));  // the new socket: the client had 40 bytes
  EXPECT_EQ(std::get<v4::ReconnectSuccess>(frame_of(s.next_client_output(t0))).ack, 0u);
  EXPECT_EQ(std::get<v4::Data>(frame_of(s.next_client_output(t0))).payload.size(), 60u);
}

TEST(V4ServerSession, AcksAreHeldDuringAnUploadBurstAndLetOutAtItsEnd) {
  auto s = attached_session();
  const auto data = v4::encode(v4::Data{Bytes(16000, 'u')});
  for (int i = 0; i < 3; ++i) {
    auto payload = s.on_client_message(data, true, t0);
    ASSERT_TRUE(payload);
    s.on_target_written(payload->size(), /*more_waiting=*/true, t0);
    EXPECT_FALSE(s.next_client_output(t0)) << "an ACK in the middle of a burst";
  }
  auto payload = s.on_client_message(data, true, t0);
  s.on_target_written(payload->size(), true, t0);  // 64,000 bytes: still under the 64 KiB batch
  EXPECT_FALSE(s.next_client_output(t0));
  payload = s.on_client_message(data, true, t0);
  s.on_target_written(payload->size(), true, t0);  // 80,000: a batch's worth
  EXPECT_EQ(std::get<v4::Ack>(frame_of(s.next_client_output(t0))).ack, 80000u);
  payload = s.on_client_message(data, true, t0);
  s.on_target_written(payload->size(), /*more_waiting=*/false, t0);  // the burst's last DATA
  EXPECT_EQ(std::get<v4::Ack>(frame_of(s.next_client_output(t0))).ack, 96000u);
}

TEST(V4ServerSession, TextAndMalformedMessagesEndTheSession) {
  {
    auto s = attached_session();
    EXPECT_FALSE(s.on_client_message(Bytes{'h', 'i'}, /*binary=*/false, t0));
    auto out = s.next_client_output(t0);
    ASSERT_TRUE(out && std::holds_alternative<SendClose>(*out));
    EXPECT_EQ(std::get<SendClose>(*out).code, close_code::unsupported_data);
    EXPECT_TRUE(s.ended());
    EXPECT_FALSE(s.next_client_output(t0));  // the close frame is the last thing
  }
  {
    auto s = attached_session();
    EXPECT_FALSE(s.on_client_message(v4::encode(v4::Ack{5}), true, t0));  // beyond the 0 bytes sent
    auto out = s.next_client_output(t0);
    ASSERT_TRUE(out && std::holds_alternative<SendClose>(*out));
    EXPECT_EQ(std::get<SendClose>(*out).code, close_code::protocol_error);
    EXPECT_NE(std::get<SendClose>(*out).reason.find("exceeds"), std::string::npos);
  }
}

TEST(V4ServerSession, AQuietSocketIsPingedThenDroppedThenTheGraceRunsOut) {
  auto s = attached_session();
  EXPECT_EQ(*s.next_deadline(), t0 + Duration{30000});
  s.on_timeout(t0 + Duration{30000});  // heard (the attach): nothing to do
  s.on_timeout(t0 + Duration{60000});
  EXPECT_TRUE(std::holds_alternative<SendPing>(*s.next_client_output(t0 + Duration{60000})));
  s.on_timeout(t0 + Duration{90000});  // no pong
  EXPECT_FALSE(s.attached());
  auto lost = s.next_event();
  ASSERT_TRUE(lost && std::holds_alternative<TransportLost>(*lost));
  EXPECT_EQ(*s.next_deadline(), t0 + Duration{90000} + Duration{120000});
  s.on_timeout(t0 + Duration{209999});
  EXPECT_FALSE(s.ended());
  s.on_timeout(t0 + Duration{210000});
  auto ended = s.next_event();
  ASSERT_TRUE(ended && std::holds_alternative<SessionEnded>(*ended));
  EXPECT_EQ(std::get<SessionEnded>(*ended).reason, "grace period expired");
  EXPECT_FALSE(s.check_reconnect(0));
  EXPECT_FALSE(s.ended_cleanly());
}

TEST(V4ServerSession, TargetEofClosesOnlyOnceEverythingIsAcknowledged) {
  auto s = attached_session();
  s.on_target_data(Bytes(1000, 'd'), t0);
  s.on_target_eof("target closed the connection", t0);
  (void)frame_of(s.next_client_output(t0));
  EXPECT_FALSE(s.next_client_output(t0)) << "closed with 1000 bytes unacknowledged";
  EXPECT_FALSE(s.on_client_message(v4::encode(v4::Ack{600}), true, t0));
  EXPECT_FALSE(s.next_client_output(t0));
  EXPECT_FALSE(s.on_client_message(v4::encode(v4::Ack{1000}), true, t0));
  auto out = s.next_client_output(t0);
  ASSERT_TRUE(out && std::holds_alternative<SendClose>(*out));
  EXPECT_EQ(std::get<SendClose>(*out).code, close_code::normal);
  EXPECT_EQ(std::get<SendClose>(*out).reason, "target closed the connection");
  EXPECT_TRUE(s.ended_cleanly());
  EXPECT_FALSE(s.wants_target_data());
}

TEST(V4ServerSession, TheClientsExplicitEndEndsTheSessionWithoutAnotherCloseFrame) {
  auto s = attached_session();
  s.on_client_closed(close_code::client_ended, t0);
  EXPECT_TRUE(s.ended());
  EXPECT_FALSE(s.next_client_output(t0));
  auto ended = s.next_event();
  ASSERT_TRUE(ended);
  EXPECT_EQ(std::get<SessionEnded>(*ended).reason, "client ended the session");
}

// A front proxy that restarts closes cleanly (1000, 1001): the session waits for a reconnect.
TEST(V4ServerSession, AnyOtherCleanCloseDetachesForTheGracePeriod) {
  for (const std::uint16_t code : {std::uint16_t{1000}, std::uint16_t{1001}, std::uint16_t{1005}}) {
    auto s = attached_session();
    s.on_client_closed(code, t0);
    EXPECT_FALSE(s.ended()) << code;
    auto lost = s.next_event();
    ASSERT_TRUE(lost) << code;
    ASSERT_TRUE(std::holds_alternative<TransportLost>(*lost)) << code;
    EXPECT_EQ(std::get<TransportLost>(*lost).why, "client closed the WebSocket (" + std::to_string(code) + ")");
    EXPECT_FALSE(s.next_client_output(t0)) << "no close frame of ours follows a detach";
    EXPECT_TRUE(s.check_reconnect(0)) << code;
    EXPECT_EQ(*s.next_deadline(), t0 + Duration{120000}) << code;
    EXPECT_TRUE(s.attach(0, t0 + Duration{1000})) << code;  // the reconnect within grace resumes
    EXPECT_TRUE(std::holds_alternative<v4::ReconnectSuccess>(frame_of(s.next_client_output(t0 + Duration{1000}))));
  }
}

TEST(V4ServerSession, ShutdownClosesWithItsCode) {
  auto s = attached_session();
  s.shutdown(close_code::service_restart, "relay is restarting", t0);
  auto out = s.next_client_output(t0);
  ASSERT_TRUE(out && std::holds_alternative<SendClose>(*out));
  EXPECT_EQ(std::get<SendClose>(*out).code, close_code::service_restart);
}

TEST(V4ServerSession, TheTargetIsReadOnlyWithRoomUnderTheReplayCap) {
  V4ServerSession s({64 * 1024, Duration{1000}, Duration{1000}, 0}, "sid-0123456789abcdefghij");
  ASSERT_TRUE(s.attach(std::nullopt, t0));
  EXPECT_EQ(s.target_read_room(), 64u * 1024);
  s.on_target_data(Bytes(64 * 1024, 'x'), t0);
  EXPECT_FALSE(s.wants_target_data());
  while (s.next_client_output(t0)) {
  }
  EXPECT_FALSE(s.on_client_message(v4::encode(v4::Ack{1024}), true, t0));
  EXPECT_TRUE(s.wants_target_data());
  EXPECT_EQ(s.target_read_room(), 1024u);
}

}  // namespace
}  // namespace sshrelay
