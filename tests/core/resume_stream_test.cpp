#include "core/resume_stream.hpp"

#include <gtest/gtest.h>

#include "core/v4_frame.hpp"

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

}  // namespace
}  // namespace sshrelay
