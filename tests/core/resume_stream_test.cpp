#include "core/wire/resume_stream.hpp"

#include <gtest/gtest.h>

#include "core/wire/v4_frame.hpp"

namespace sshrelay {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes bytes_of(std::size_t n, std::uint8_t fill = 0x5a) { return Bytes(n, fill); }

v4::Frame decode(const FrameBytes& message) { return *v4::decode_message(*message); }

// A server stream whose CONNECT_SUCCESS has been written.
ResumeStream live_server(std::size_t cap = 1 << 20) {
  ResumeStream server(Role::server, cap);
  EXPECT_TRUE(server.start_server("sid-1"));
  auto first = server.next_message();
  EXPECT_EQ(std::get<v4::ConnectSuccess>(decode(*first)).session_id, "sid-1");
  return server;
}

TEST(ResumeStream, ServerSendsConnectSuccessFirstThenDataInFramesOfAtMost16KiB) {
  auto server = live_server();
  ASSERT_TRUE(server.send(bytes_of(40000)));
  std::vector<std::size_t> sizes;
  while (auto m = server.next_message()) sizes.push_back(std::get<v4::Data>(decode(*m)).payload.size());
  EXPECT_EQ(sizes, (std::vector<std::size_t>{16384, 16384, 7232}));
  EXPECT_EQ(server.bytes_sent(), 40000u);
  EXPECT_TRUE(server.flushed());
}

TEST(ResumeStream, AcksAdvanceAndBackpressureLifts) {
  auto server = live_server(20000);
  ASSERT_TRUE(server.send(bytes_of(20000)));
  EXPECT_FALSE(server.can_send());
  while (server.next_message()) {
  }
  auto event = server.receive(v4::encode(v4::Ack{16384}));
  ASSERT_TRUE(event);
  EXPECT_EQ(std::get<Acknowledged>(*event).acked, 16384u);
  EXPECT_EQ(server.unacked(), 20000u - 16384u);
  EXPECT_TRUE(server.can_send());
}

TEST(ResumeStream, ReverseAckAndOverAckAreProtocolErrors) {
  {
    auto server = live_server();
    ASSERT_TRUE(server.send(bytes_of(100)));
    server.next_message();
    auto over = server.receive(v4::encode(v4::Ack{101}));
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error().kind, ErrorKind::remote_protocol);
    EXPECT_NE(over.error().message.find("exceeds the 100 bytes sent"), std::string::npos) << over.error().message;
    EXPECT_TRUE(server.failed());
    EXPECT_FALSE(server.next_message());  // a failed stream stays failed
  }
  {
    auto server = live_server();
    ASSERT_TRUE(server.send(bytes_of(100)));
    server.next_message();
    ASSERT_TRUE(server.receive(v4::encode(v4::Ack{60})));
    auto reverse = server.receive(v4::encode(v4::Ack{59}));
    ASSERT_FALSE(reverse);
    EXPECT_NE(reverse.error().message.find("goes backwards"), std::string::npos) << reverse.error().message;
  }
}

TEST(ResumeStream, ServerRefusesServerFramesFromTheClient) {
  auto server = live_server();
  auto result = server.receive(v4::encode(v4::ReconnectSuccess{0}));
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("only DATA and ACK"), std::string::npos);
}

TEST(ResumeStream, ClientRefusesDataBeforeConnectSuccess) {
  ResumeStream client(Role::client, 1 << 20);
  const Bytes payload = {1, 2, 3};
  auto result = client.receive(v4::encode(v4::Data{payload}));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::remote_protocol);
}

TEST(ResumeStream, ClientMaySendBeforeConnectSuccess) {
  ResumeStream client(Role::client, 1 << 20);
  ASSERT_TRUE(client.send(bytes_of(10)));
  auto message = client.next_message();
  ASSERT_TRUE(message);
  EXPECT_EQ(std::get<v4::Data>(decode(*message)).payload.size(), 10u);
}

TEST(ResumeStream, AcksAreSentForDeliveredBytesOnlyAndCoalesced) {
  auto server = live_server();
  const Bytes payload(300, 1);
  auto event = server.receive(v4::encode(v4::Data{payload}));
  ASSERT_TRUE(event);
  EXPECT_EQ(std::get<PayloadReceived>(*event).bytes.size(), 300u);
  EXPECT_FALSE(server.next_message());  // nothing delivered yet: no ACK
  ASSERT_TRUE(server.receive(v4::encode(v4::Data{payload})));
  ASSERT_TRUE(server.delivered(300));
  ASSERT_TRUE(server.delivered(300));
  auto ack = server.next_message();
  EXPECT_EQ(std::get<v4::Ack>(decode(*ack)).ack, 600u);
  EXPECT_FALSE(server.next_message());
  EXPECT_EQ(server.delivered(1).error().kind, ErrorKind::local);
}

TEST(ResumeStream, ServerResumeReportsReceivedAndReplaysFromTheClientsAck) {
  auto server = live_server();
  Bytes out(50000);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(i);
  ASSERT_TRUE(server.send(out));
  while (server.next_message()) {
  }
  const Bytes in(70, 9);
  ASSERT_TRUE(server.receive(v4::encode(v4::Data{in})));
  server.detach();
  EXPECT_FALSE(server.next_message());

  // Bad acks are refused and leave the session able to resume.
  EXPECT_FALSE(server.resume_server(50001));
  ASSERT_TRUE(server.resume_server(20000));  // mid-frame: the client got 20000 bytes
  EXPECT_EQ(std::get<v4::ReconnectSuccess>(decode(*server.next_message())).ack, 70u);
  const auto message = *server.next_message();
  auto replay = std::get<v4::Data>(decode(message)).payload;
  ASSERT_EQ(replay.size(), 32768u - 20000u);
  EXPECT_EQ(replay[0], static_cast<std::uint8_t>(20000));
  ASSERT_TRUE(server.delivered(70));
  EXPECT_EQ(server.bytes_acked(), 20000u);
}

TEST(ResumeStream, ClientWaitsForReconnectSuccessThenRetransmitsUnacked) {
  ResumeStream client(Role::client, 1 << 20);
  ASSERT_TRUE(client.send(bytes_of(1000)));
  client.next_message();
  ASSERT_TRUE(client.receive(v4::encode(v4::ConnectSuccess{"sid"})));
  client.detach();
  ASSERT_TRUE(client.resume_client());
  EXPECT_FALSE(client.next_message());
  auto event = client.receive(v4::encode(v4::ReconnectSuccess{400}));
  ASSERT_TRUE(event);
  EXPECT_EQ(std::get<Resumed>(*event).peer_received, 400u);
  EXPECT_EQ(std::get<v4::Data>(decode(*client.next_message())).payload.size(), 600u);
}

TEST(ResumeStream, MisuseIsALocalError) {
  ResumeStream client(Role::client, 1024);
  EXPECT_EQ(client.start_server("x").error().kind, ErrorKind::local);
  EXPECT_EQ(client.resume_client().error().kind, ErrorKind::local);  // still attached
  auto server = live_server();
  EXPECT_EQ(server.resume_server(0).error().kind, ErrorKind::local);  // still attached
}

// Issue #10 F1: after a resume from a lower ack the write cursor sits below the high-water mark. An ACK
// above the cursor once freed replay entries the cursor had not re-sent, and the next write read before
// the buffer. What a peer may acknowledge is bounded by what the current transport carried.
TEST(ResumeStream, ServerRefusesAnAckAboveWhatWasResentAfterAResume) {
  ResumeStream s(Role::server, 1 << 20);
  ASSERT_TRUE(s.start_server("sid-0123456789abcdefghij"));
  s.next_message();
  ASSERT_TRUE(s.send(Bytes(100, 'x')));
  s.next_message();
  s.detach();
  ASSERT_TRUE(s.resume_server(0));
  s.next_message();  // RECONNECT_SUCCESS; the cursor is at 0, nothing re-sent yet
  auto over = s.receive(v4::encode(v4::Ack{100}));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().kind, ErrorKind::remote_protocol);
  EXPECT_NE(over.error().message.find("exceeds the 0 bytes sent"), std::string::npos) << over.error().message;
  EXPECT_FALSE(s.next_message());  // failed, and nothing read from the buffer
  EXPECT_EQ(s.bytes_acked(), 0u);
}

TEST(ResumeStream, ServerAcceptsAcksUpToWhatWasResent) {
  ResumeStream s(Role::server, 1 << 20);
  ASSERT_TRUE(s.start_server("sid-1"));
  s.next_message();
  ASSERT_TRUE(s.send(Bytes(40000, 'x')));
  while (s.next_message()) {
  }
  s.detach();
  ASSERT_TRUE(s.resume_server(1000));
  s.next_message();                          // RECONNECT_SUCCESS
  const auto resent = *s.next_message();     // 1000..16384
  EXPECT_EQ(std::get<v4::Data>(decode(resent)).payload.size(), 16384u - 1000u);
  EXPECT_FALSE(s.receive(v4::encode(v4::Ack{16385})).ok());
  auto fresh = live_server();  // the same rule, just below the bound, on a stream that has not failed
  ASSERT_TRUE(fresh.send(Bytes(40000, 'x')));
  while (fresh.next_message()) {
  }
  fresh.detach();
  ASSERT_TRUE(fresh.resume_server(1000));
  fresh.next_message();
  fresh.next_message();
  ASSERT_TRUE(fresh.receive(v4::encode(v4::Ack{16384})));
  EXPECT_EQ(std::get<v4::Data>(decode(*fresh.next_message())).payload.size(), 16384u);  // 16384..32768
}

TEST(ResumeStream, ClientRefusesAnAckAboveWhatWasRetransmitted) {
  ResumeStream c(Role::client, 1 << 20);
  ASSERT_TRUE(c.send(Bytes(100, 'x')));
  c.next_message();
  ASSERT_TRUE(c.receive(v4::encode(v4::ConnectSuccess{"sid"})));
  c.detach();
  ASSERT_TRUE(c.resume_client());
  ASSERT_TRUE(c.receive(v4::encode(v4::ReconnectSuccess{0})));
  auto over = c.receive(v4::encode(v4::Ack{100}));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().kind, ErrorKind::remote_protocol);
  EXPECT_FALSE(c.next_message());
}

TEST(ResumeStream, ClientRefusesAReconnectSuccessAboveWhatItWrote) {
  ResumeStream c(Role::client, 1 << 20);
  ASSERT_TRUE(c.send(Bytes(100, 'x')));
  ASSERT_TRUE(c.receive(v4::encode(v4::ConnectSuccess{"sid"})));
  c.next_message();  // 100 bytes written
  ASSERT_TRUE(c.send(Bytes(50, 'y')));  // queued, never written
  c.detach();
  ASSERT_TRUE(c.resume_client());
  EXPECT_FALSE(c.receive(v4::encode(v4::ReconnectSuccess{101})).ok());
}

// Issue #10 F2: a reconnect is checked before the live socket is evicted for it.
TEST(ResumeStream, CheckResumeValidatesWithoutSideEffects) {
  auto s = live_server();
  ASSERT_TRUE(s.send(Bytes(500, 'x')));
  s.next_message();
  ASSERT_TRUE(s.receive(v4::encode(v4::Ack{200})));
  EXPECT_FALSE(s.check_resume(501).ok());  // beyond what was sent
  EXPECT_FALSE(s.check_resume(199).ok());  // below what was acknowledged
  EXPECT_TRUE(s.check_resume(200).ok());
  EXPECT_TRUE(s.check_resume(500).ok());
  EXPECT_TRUE(s.attached());
  EXPECT_EQ(s.bytes_acked(), 200u);
  ResumeStream client(Role::client, 1024);
  EXPECT_EQ(client.check_resume(0).error().kind, ErrorKind::local);
}

TEST(ReplayBuffer, FrameAtRefusesOffsetsOutsideTheBuffer) {
  ReplayBuffer buffer;
  EXPECT_FALSE(buffer.frame_at(0).ok());  // empty
  buffer.append(Bytes(100, 'x'));
  ASSERT_TRUE(buffer.acknowledge(40));
  EXPECT_FALSE(buffer.frame_at(39).ok());
  EXPECT_FALSE(buffer.frame_at(100).ok());
  auto mid = buffer.frame_at(40);
  ASSERT_TRUE(mid);
  EXPECT_EQ(std::get<v4::Data>(*v4::decode_message(*mid->first)).payload.size(), 60u);
  EXPECT_EQ(mid->second, 100u);
}

// Frame buffers as the daemon's target read fills them: header room, then a full payload's room, each
// payload byte i of the read being `pattern(i)`.
std::vector<FrameBuffer> filled_frames(std::size_t count, std::size_t n) {
  std::vector<FrameBuffer> frames;
  std::size_t i = 0;
  for (std::size_t f = 0; f < count; ++f) {
    auto frame = std::make_shared<Bytes>(v4::kDataHeaderSize + v4::kMaxDataPayload, 0xee);
    for (std::size_t k = v4::kDataHeaderSize; k < frame->size() && i < n; ++k, ++i) {
      (*frame)[k] = static_cast<std::uint8_t>(i % 251);
    }
    frames.push_back(std::move(frame));
  }
  return frames;
}

TEST(ReplayBuffer, AppendFramesAdoptsFilledFramesAndWritesTheirHeaders) {
  ReplayBuffer buffer;
  auto frames = filled_frames(3, 47768);  // 16384 + 16384 + 15000 (trimmed, still adopted)
  const auto* first = frames[0].get();
  ASSERT_TRUE(buffer.append_frames(frames, 47768));
  EXPECT_EQ(buffer.end(), 47768u);
  EXPECT_EQ(frames[0], nullptr);  // taken over
  EXPECT_EQ(frames[1], nullptr);
  EXPECT_EQ(frames[2], nullptr);
  Bytes stream;
  std::uint64_t at = 0;
  std::vector<std::size_t> sizes;
  while (at < buffer.end()) {
    auto frame = buffer.frame_at(at);
    ASSERT_TRUE(frame);
    if (at == 0) {
      EXPECT_EQ(frame->first.get(), first);  // the same memory: no copy
    }
    const auto payload = std::get<v4::Data>(*v4::decode_message(*frame->first)).payload;
    sizes.push_back(payload.size());
    stream.insert(stream.end(), payload.begin(), payload.end());
    at = frame->second;
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{16384, 16384, 15000}));
  ASSERT_EQ(stream.size(), 47768u);
  for (std::size_t i = 0; i < stream.size(); ++i) ASSERT_EQ(stream[i], i % 251) << "at " << i;
}

TEST(ReplayBuffer, AppendFramesCopiesAShortLastPayloadAndLeavesUnreachedFrames) {
  ReplayBuffer buffer;
  auto frames = filled_frames(4, 16384 + 100);
  ASSERT_TRUE(buffer.append_frames(frames, 16384 + 100));
  EXPECT_EQ(frames[0], nullptr);
  ASSERT_NE(frames[1], nullptr);  // 100 bytes (< 3/4 of a frame): copied into a frame of their own size
  EXPECT_NE(frames[2], nullptr);  // not reached
  auto last = buffer.frame_at(16384);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->first->size(), v4::kDataHeaderSize + 100);
  EXPECT_LE(last->first->capacity(), v4::kDataHeaderSize + 100);
  EXPECT_EQ(std::get<v4::Data>(*v4::decode_message(*last->first)).payload[99], (16384 + 99) % 251);
  ASSERT_TRUE(buffer.append_frames(std::span(frames).subspan(1), 0));  // nothing read: nothing appended
  EXPECT_EQ(buffer.end(), 16484u);
}

TEST(ReplayBuffer, AppendFramesRefusesMoreBytesThanTheFramesHoldAndAppendsNothing) {
  ReplayBuffer buffer;
  auto frames = filled_frames(2, 2 * 16384);
  const auto refused = buffer.append_frames(frames, 2 * 16384 + 1);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::local);
  EXPECT_EQ(buffer.end(), 0u);
  EXPECT_NE(frames[0], nullptr);
  std::vector<FrameBuffer> no_room{std::make_shared<Bytes>(v4::kDataHeaderSize)};
  EXPECT_FALSE(buffer.append_frames(no_room, 1));
}

TEST(ResumeStream, SendFramesIsSentAndReplayedLikeSend) {
  auto server = live_server();
  auto frames = filled_frames(2, 20000);
  ASSERT_TRUE(server.send_frames(frames, 20000));
  Bytes sent;
  while (auto m = server.next_message()) {
    const auto payload = std::get<v4::Data>(decode(*m)).payload;
    sent.insert(sent.end(), payload.begin(), payload.end());
  }
  ASSERT_EQ(sent.size(), 20000u);
  EXPECT_EQ(sent[19999], 19999 % 251);
  server.detach();
  ASSERT_TRUE(server.resume_server(0));
  server.next_message();  // RECONNECT_SUCCESS
  auto replayed = server.next_message();  // from the client's ack (0): the first frame again
  ASSERT_TRUE(replayed);
  EXPECT_EQ(std::get<v4::Data>(decode(*replayed)).payload.size(), 16384u);
}

}  // namespace
}  // namespace sshrelay
