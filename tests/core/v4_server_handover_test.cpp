// A v4 session handed to a successor process (sshrelayd --takeover): the snapshot carries the counters
// and the unacknowledged bytes, and the restored session resumes exactly where the first one stood, as
// if no process had changed — detached (the client reconnects) or attached (its socket moved too).
#include <gtest/gtest.h>

#include "core/session/v4_server_session.hpp"
#include "core/wire/v4_frame.hpp"

namespace sshrelay {
namespace {

std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

// Every frame the session wants written now, decoded (the frames' payloads are views into `kept`).
struct Drained {
  std::vector<FrameBytes> kept;
  std::vector<v4::Frame> frames;
  std::size_t size() const { return frames.size(); }
  const v4::Frame& operator[](std::size_t i) const { return frames[i]; }
};
Drained drain(V4ServerSession& session, TimePoint now) {
  Drained out;
  while (auto next = session.next_client_output(now)) {
    if (auto* message = std::get_if<SendMessage>(&*next)) out.kept.push_back(message->bytes);
  }
  for (const auto& bytes : out.kept) {
    auto frame = v4::decode_message(*bytes);
    EXPECT_TRUE(frame);
    if (frame) out.frames.push_back(*frame);
  }
  return out;
}

TEST(V4ServerHandover, RestoredSessionResumesWhereTheFirstStood) {
  const TimePoint t0{};
  V4ServerSessionConfig config;
  V4ServerSession first(config, "SID");
  ASSERT_TRUE(first.attach(std::nullopt, t0));
  drain(first, t0);  // CONNECT_SUCCESS
  const auto down = bytes_of("bytes the client never acknowledged");
  first.on_target_data(down, t0);
  drain(first, t0);  // written to the socket that is about to fail
  const auto up = v4::encode(v4::Data{bytes_of("up!")});
  auto payload = first.on_client_message(up, true, t0);
  ASSERT_TRUE(payload);
  first.on_target_written(payload->size(), false, t0);
  first.on_transport_lost("handover", t0);

  auto snapshot = first.snapshot();
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(snapshot->stream.received, 3u);
  EXPECT_EQ(snapshot->stream.unacked, down);

  const TimePoint t1 = t0 + std::chrono::seconds(100);
  auto second = V4ServerSession::restored(config, *snapshot, t1);
  EXPECT_FALSE(second.attached());
  EXPECT_EQ(second.bytes_up(), 3u);
  // The grace starts again at the handover.
  ASSERT_TRUE(second.next_deadline());
  EXPECT_EQ(*second.next_deadline(), t1 + config.grace);
  // The client acknowledged 10 bytes before the drop: it gets the rest, and hears it sent 3.
  ASSERT_TRUE(second.check_reconnect(10));
  EXPECT_FALSE(second.check_reconnect(down.size() + 1)) << "beyond what was ever sent";
  ASSERT_TRUE(second.attach(10, t1));
  const auto frames = drain(second, t1);
  ASSERT_GE(frames.size(), 2u);
  ASSERT_TRUE(std::holds_alternative<v4::ReconnectSuccess>(frames[0]));
  EXPECT_EQ(std::get<v4::ReconnectSuccess>(frames[0]).ack, 3u);
  std::vector<std::uint8_t> replayed;
  for (std::size_t i = 1; i < frames.size(); ++i) {
    if (auto* data = std::get_if<v4::Data>(&frames[i])) replayed.insert(replayed.end(), data->payload.begin(), data->payload.end());
  }
  EXPECT_EQ(replayed, std::vector<std::uint8_t>(down.begin() + 10, down.end()));
  // And it carries on: new target bytes follow.
  second.on_target_data(bytes_of("more"), t1);
  const auto more = drain(second, t1);
  ASSERT_EQ(more.size(), 1u);
  const auto tail = std::get<v4::Data>(more[0]).payload;
  EXPECT_EQ(std::vector<std::uint8_t>(tail.begin(), tail.end()), bytes_of("more"));
}

TEST(V4ServerHandover, AttachedSessionCarriesOnOnTheMovedSocket) {
  const TimePoint t0{};
  V4ServerSessionConfig config;
  V4ServerSession first(config, "SID");
  ASSERT_TRUE(first.attach(std::nullopt, t0));
  drain(first, t0);  // CONNECT_SUCCESS
  first.on_target_data(bytes_of("written "), t0);
  drain(first, t0);  // on the socket, not acknowledged
  first.on_target_data(bytes_of("not yet"), t0);  // read from the target, not yet taken for the socket
  const auto up = v4::encode(v4::Data{bytes_of("up!")});
  auto payload = first.on_client_message(up, true, t0);
  ASSERT_TRUE(payload);
  first.on_target_written(payload->size(), false, t0);  // its ACK is owed

  auto snapshot = first.snapshot();
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  ASSERT_TRUE(snapshot->stream.written);
  EXPECT_EQ(*snapshot->stream.written, 8u);
  EXPECT_EQ(snapshot->stream.unacked, bytes_of("written not yet"));

  const TimePoint t1 = t0 + std::chrono::seconds(5);
  auto second = V4ServerSession::restored(config, *snapshot, t1);
  ASSERT_TRUE(second.attached());
  // No RECONNECT_SUCCESS and no replay: the socket is the same; the owed ACK, then what was not written.
  const auto frames = drain(second, t1);
  ASSERT_EQ(frames.size(), 2u);
  ASSERT_TRUE(std::holds_alternative<v4::Ack>(frames[0]));
  EXPECT_EQ(std::get<v4::Ack>(frames[0]).ack, 3u);
  const auto tail = std::get<v4::Data>(frames[1]).payload;
  EXPECT_EQ(std::vector<std::uint8_t>(tail.begin(), tail.end()), bytes_of("not yet"));
  // Liveness runs from the handover: the next check is one ping interval later.
  ASSERT_TRUE(second.next_deadline());
  EXPECT_EQ(*second.next_deadline(), t1 + config.ping_interval);
  // And the client's ACK still counts against the moved bytes.
  ASSERT_FALSE(second.on_client_message(v4::encode(v4::Ack{15}), true, t1));
  EXPECT_EQ(second.held_bytes(), 0u);
}

TEST(V4ServerHandover, AWrongWritePositionLeavesTheRestoredSessionDetached) {
  const TimePoint t0{};
  V4ServerSession first(V4ServerSessionConfig{}, "SID");
  ASSERT_TRUE(first.attach(std::nullopt, t0));
  drain(first, t0);
  first.on_target_data(bytes_of("abc"), t0);
  auto snapshot = first.snapshot();
  ASSERT_TRUE(snapshot);
  snapshot->stream.written = 99;  // beyond anything sent: the client must reconnect instead
  auto second = V4ServerSession::restored(V4ServerSessionConfig{}, *snapshot, t0);
  EXPECT_FALSE(second.attached());
  EXPECT_TRUE(second.check_reconnect(0));
}

TEST(V4ServerHandover, AnOwedPingKeepsAnAttachedSessionHere) {
  const TimePoint t0{};
  V4ServerSessionConfig config;
  V4ServerSession session(config, "SID");
  ASSERT_TRUE(session.attach(std::nullopt, t0));
  drain(session, t0);
  session.on_timeout(t0 + config.ping_interval);      // heard at the attach: alive
  session.on_timeout(t0 + 2 * config.ping_interval);  // a quiet interval: a ping is due
  EXPECT_FALSE(session.snapshot()) << "the ping belongs to this socket's liveness check";
  drain(session, t0 + 2 * config.ping_interval);
  EXPECT_TRUE(session.snapshot());
}

TEST(V4ServerHandover, ASessionWhoseTargetClosedStays) {
  const TimePoint t0{};
  V4ServerSession ended(V4ServerSessionConfig{}, "SID");
  ASSERT_TRUE(ended.attach(std::nullopt, t0));
  ended.on_transport_lost("x", t0);
  ended.on_target_eof("target closed", t0);
  EXPECT_FALSE(ended.snapshot());
}

}  // namespace
}  // namespace sshrelay
