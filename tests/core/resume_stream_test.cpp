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

}  // namespace
}  // namespace sshrelay
