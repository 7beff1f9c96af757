// Two v4 server sessions bridged as each other's target: bytes from one leg's client reach the other's,
// the receiving leg's replay cap holds the sender back (its payload is acknowledged only once all of it
// was taken), and a leg that ends lets the other send what it holds, then close 1000.
#include "core/rendezvous/leg_bridge.hpp"
#include "core/session/v4_server_session.hpp"

#include <gtest/gtest.h>

#include "core/session/raw_relay_session.hpp"
#include "core/wire/close_code.hpp"
#include "core/wire/v4_frame.hpp"
#include "tests/core/virtual_time.hpp"

namespace sshrelay::rendezvous {
namespace {

using Bytes = std::vector<std::uint8_t>;
using testing::t0;

V4ServerSessionConfig config(std::size_t replay_cap) { return {replay_cap, Duration{120000}, Duration{30000}, 64 * 1024}; }

std::optional<v4::Frame> next_frame(V4ServerSession& s) {
  auto out = s.next_client_output(t0);
  if (!out || !std::holds_alternative<SendMessage>(*out)) return std::nullopt;
  return *v4::decode_message(*std::get<SendMessage>(*out).bytes);
}

// Everything the leg sends its client now: the DATA bytes, and the last ACK value (if any).
struct Drained {
  Bytes data;
  std::optional<std::uint64_t> ack;
};
Drained drain(V4ServerSession& s) {
  Drained d;
  while (auto f = next_frame(s)) {
    if (auto* data = std::get_if<v4::Data>(&*f)) d.data.insert(d.data.end(), data->payload.begin(), data->payload.end());
    if (auto* ack = std::get_if<v4::Ack>(&*f)) d.ack = ack->ack;
  }
  return d;
}

struct Pair {
  explicit Pair(std::size_t responder_cap = 1 << 20)
      : a(config(1 << 20), "sid-initiator-0123456789"), b(config(responder_cap), "sid-responder-0123456789"), leg_a(a), leg_b(b) {
    bridge.join(Slot::initiator, leg_a);
    bridge.join(Slot::responder, leg_b);
    EXPECT_TRUE(a.attach(std::nullopt, t0));
    EXPECT_TRUE(b.attach(std::nullopt, t0));
    EXPECT_TRUE(std::holds_alternative<v4::ConnectSuccess>(*next_frame(a)));
    EXPECT_TRUE(std::holds_alternative<v4::ConnectSuccess>(*next_frame(b)));
  }
  // Leg `from`'s client sends `bytes` as one DATA message.
  void send(Slot from, const Bytes& bytes) {
    auto& leg = from == Slot::initiator ? a : b;
    const auto message = v4::encode(v4::Data{bytes});  // the payload is a view into it
    auto payload = leg.on_client_message(message, true, t0);
    ASSERT_TRUE(payload);
    bridge.on_payload(from, *payload, false, t0);
  }
  V4ServerSession a, b;
  MachineLeg<V4ServerSession> leg_a, leg_b;
  LegBridge bridge;
};

TEST(LegBridge, BytesFromOneClientReachTheOtherAndAreAcknowledgedToTheSender) {
  Pair p;
  p.send(Slot::initiator, Bytes{'h', 'e', 'l', 'l', 'o'});
  EXPECT_EQ(drain(p.b).data, (Bytes{'h', 'e', 'l', 'l', 'o'}));
  EXPECT_EQ(drain(p.a).ack, 5u);
  p.send(Slot::responder, Bytes{'o', 'k'});
  EXPECT_EQ(drain(p.a).data, (Bytes{'o', 'k'}));
  EXPECT_EQ(drain(p.b).ack, 2u);
  EXPECT_EQ(p.bridge.bridged(Slot::initiator), 5u);
}

TEST(LegBridge, TheReceiversReplayCapHoldsTheSenderBack) {
  Pair p(/*responder_cap=*/1000);
  Bytes big(3000);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 7);
  p.send(Slot::initiator, big);
  EXPECT_EQ(p.bridge.queued(Slot::initiator), 2000u);
  auto first = drain(p.b);
  EXPECT_EQ(first.data.size(), 1000u) << "only what the responder leg may keep for replay";
  EXPECT_FALSE(drain(p.a).ack) << "the sender is not acknowledged while its payload waits";
  Bytes got = first.data;
  for (int round = 0; round < 5 && p.bridge.queued(Slot::initiator) > 0; ++round) {
    // The responder's client acknowledges what it has; the bridge moves the next part.
    (void)p.b.on_client_message(v4::encode(v4::Ack{got.size()}), true, t0);  // an ACK carries no payload
    ASSERT_FALSE(p.b.ended());
    p.bridge.pump(t0);
    auto more = drain(p.b);
    got.insert(got.end(), more.data.begin(), more.data.end());
  }
  EXPECT_EQ(p.bridge.queued(Slot::initiator), 0u);
  EXPECT_EQ(got, big);
  EXPECT_EQ(drain(p.a).ack, 3000u);
}

TEST(LegBridge, WhenOneLegEndsTheOtherSendsWhatItHoldsThenCloses) {
  Pair p;
  p.send(Slot::responder, Bytes(100, 'z'));
  p.bridge.on_leg_ended(Slot::responder, "peer disconnected", t0);
  auto d = drain(p.a);
  EXPECT_EQ(d.data.size(), 100u);
  // Once the initiator's client acknowledges the last byte, the leg closes 1000.
  (void)p.a.on_client_message(v4::encode(v4::Ack{100}), true, t0);
  auto out = p.a.next_client_output(t0);
  ASSERT_TRUE(out && std::holds_alternative<SendClose>(*out));
  EXPECT_EQ(std::get<SendClose>(*out).code, close_code::normal);
}

TEST(LegBridge, WhatTheFirstLegSendsWaitsUnacknowledgedUntilTheSecondJoins) {
  V4ServerSession a(config(1 << 20), "sid-initiator-0123456789"), b(config(1 << 20), "sid-responder-0123456789");
  MachineLeg<V4ServerSession> leg_a(a), leg_b(b);
  LegBridge bridge;
  ASSERT_TRUE(a.attach(std::nullopt, t0));
  bridge.join(Slot::initiator, leg_a);
  (void)drain(a);  // CONNECT_SUCCESS
  const auto message = v4::encode(v4::Data{Bytes(700, 'q')});
  auto payload = a.on_client_message(message, true, t0);
  ASSERT_TRUE(payload);
  bridge.on_payload(Slot::initiator, *payload, false, t0);
  EXPECT_EQ(bridge.queued(Slot::initiator), 700u);
  EXPECT_FALSE(drain(a).ack) << "acknowledged before anyone received it";

  ASSERT_TRUE(b.attach(std::nullopt, t0));
  bridge.join(Slot::responder, leg_b);
  bridge.pump(t0);
  EXPECT_EQ(drain(b).data, Bytes(700, 'q'));
  EXPECT_EQ(drain(a).ack, 700u);
}

TEST(LegBridge, APlainLegAndAResumableLegExchangeBytes) {
  V4ServerSession a(config(1 << 20), "sid-initiator-0123456789");
  RawRelaySession b(RawRelaySessionConfig{1 << 20, 64 * 1024, Duration{30000}});
  MachineLeg<V4ServerSession> leg_a(a);
  MachineLeg<RawRelaySession> leg_b(b);
  LegBridge bridge;
  ASSERT_TRUE(a.attach(std::nullopt, t0));
  ASSERT_TRUE(b.attach(std::nullopt, t0));
  bridge.join(Slot::initiator, leg_a);
  bridge.join(Slot::responder, leg_b);
  (void)drain(a);
  // The plain leg's client sends one binary message: the whole message is the payload.
  const Bytes hello{'h', 'i', '!'};
  auto payload = b.on_client_message(hello, true, t0);
  ASSERT_TRUE(payload);
  bridge.on_payload(Slot::responder, *payload, false, t0);
  EXPECT_EQ(drain(a).data, hello);
  // And the resumable leg's DATA reaches the plain leg's client as a message of its own.
  const auto message = v4::encode(v4::Data{Bytes{'o', 'k'}});
  payload = a.on_client_message(message, true, t0);
  ASSERT_TRUE(payload);
  bridge.on_payload(Slot::initiator, *payload, false, t0);
  auto out = b.next_client_output(t0);
  ASSERT_TRUE(out && std::holds_alternative<SendMessage>(*out));
  EXPECT_EQ(*std::get<SendMessage>(*out).bytes, (Bytes{'o', 'k'}));
}

}  // namespace
}  // namespace sshrelay::rendezvous
