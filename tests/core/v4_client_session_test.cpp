#include "core/session/v4_client_session.hpp"

#include <gtest/gtest.h>

#include "core/wire/close_code.hpp"
#include "core/wire/v4_frame.hpp"
#include "tests/core/virtual_time.hpp"

namespace sshrelay {
namespace {

using Bytes = std::vector<std::uint8_t>;
using testing::t0;

V4ClientSessionConfig config(bool refreshable = false) {
  V4ClientSessionConfig c;
  c.path_prefix = "/r";
  c.host = "db1";
  c.port = 2222;
  c.user = "alice";
  c.reconnect = {Duration{100}, Duration{2000}, Duration{10000}};
  c.refreshable_credentials = refreshable;
  c.seed = 42;
  return c;
}

// A session through CONNECT_SUCCESS.
V4ClientSession connected(bool refreshable = false) {
  V4ClientSession s(config(refreshable));
  s.start(t0);
  auto open = s.take_open();
  EXPECT_TRUE(open);
  s.on_open_succeeded(t0);
  EXPECT_FALSE(s.on_relay_message(v4::encode(v4::ConnectSuccess{"sid-0123456789abcdefghij"}), true, t0));
  return s;
}

TEST(V4ClientSession, ConnectsThroughTheSharedUrlAndWritesEarlyBytes) {
  V4ClientSession s(config());
  s.start(t0);
  auto open = s.take_open();
  ASSERT_TRUE(open);
  EXPECT_EQ(open->request_target, "/r/v4/connect?host=db1&port=2222&dstUsername=alice");
  EXPECT_FALSE(open->reconnect);
  ASSERT_TRUE(s.on_local_data(Bytes{'h', 'i'}, t0));
  EXPECT_FALSE(s.next_relay_message(t0)) << "nothing is written before the socket is open";
  s.on_open_succeeded(t0);
  auto early = s.next_relay_message(t0);  // DATA may precede CONNECT_SUCCESS (design.md §2)
  ASSERT_TRUE(early);
  EXPECT_EQ(std::get<v4::Data>(*v4::decode_message(**early)).payload.size(), 2u);
  EXPECT_FALSE(s.on_relay_message(v4::encode(v4::ConnectSuccess{"sid-0123456789abcdefghij"}), true, t0));
  auto event = s.next_event();
  ASSERT_TRUE(event && std::holds_alternative<RelayConnected>(*event));
  EXPECT_EQ(s.session_id(), "sid-0123456789abcdefghij");
}

TEST(V4ClientSession, RefusedCredentialsAreRetriedOnceWithFreshOnes) {
  V4ClientSession s(config(/*refreshable=*/true));
  s.start(t0);
  (void)s.take_open();
  s.on_open_failed({401, false, "HTTP 401"}, t0);
  auto retry = s.take_open();
  ASSERT_TRUE(retry);
  EXPECT_TRUE(retry->credentials_refused);
  ASSERT_TRUE(s.on_local_data(Bytes{'x'}, t0));
  s.on_open_succeeded(t0);
  EXPECT_FALSE(s.next_relay_message(t0)) << "with refreshable credentials, nothing before CONNECT_SUCCESS";
  s.on_relay_closed(close_code::identity_invalid, "identity expired", t0);  // refused twice in a row
  ASSERT_TRUE(s.finished());
  EXPECT_EQ(s.outcome()->end, ClientEnd::closed_by_relay);
  EXPECT_EQ(s.outcome()->close_code, close_code::identity_invalid);
}

TEST(V4ClientSession, ACloseFrameIsFinalButADropIsResumed) {
  {
    auto s = connected();
    s.on_relay_closed(close_code::normal, "target closed the connection", t0);
    ASSERT_TRUE(s.finished());
    EXPECT_EQ(s.outcome()->close_reason, "target closed the connection");
  }
  auto s = connected();
  ASSERT_TRUE(s.on_local_data(Bytes(500, 'u'), t0));
  while (s.next_relay_message(t0)) {
  }
  EXPECT_TRUE(s.on_relay_message(v4::encode(v4::Data{Bytes(70, 'd')}), true, t0).has_value());
  s.on_delivered(70, t0);
  s.on_transport_lost("reset", t0);
  (void)s.next_event();  // RelayConnected
  auto dropped = s.next_event();
  ASSERT_TRUE(dropped && std::holds_alternative<TransportDropped>(*dropped));
  EXPECT_EQ(std::get<TransportDropped>(*dropped).resume_ack, 70u);
  ASSERT_TRUE(s.next_deadline());
  EXPECT_LE(*s.next_deadline(), t0 + Duration{100});
  s.on_timeout(*s.next_deadline());
  auto open = s.take_open();
  ASSERT_TRUE(open);
  EXPECT_EQ(open->request_target, "/r/v4/reconnect?sid=sid-0123456789abcdefghij&ack=70");
  s.on_open_succeeded(t0);
  EXPECT_FALSE(s.next_relay_message(t0)) << "nothing before RECONNECT_SUCCESS";
  EXPECT_FALSE(s.on_relay_message(v4::encode(v4::ReconnectSuccess{200}), true, t0));
  auto retransmit = s.next_relay_message(t0);
  ASSERT_TRUE(retransmit);
  EXPECT_EQ(std::get<v4::Data>(*v4::decode_message(**retransmit)).payload.size(), 300u);
  EXPECT_EQ(s.reconnects(), 1u);
}

TEST(V4ClientSession, ReconnectsRetryTransientFailuresAndStopAtFinalOnes) {
  auto s = connected();
  s.on_transport_lost("reset", t0);
  TimePoint now = t0;
  now = *s.next_deadline();
  s.on_timeout(now);
  ASSERT_TRUE(s.take_open());
  s.on_open_failed({502, false, "bad gateway"}, now);  // a proxy while the relay restarts: retried
  EXPECT_FALSE(s.finished());
  now = *s.next_deadline();
  s.on_timeout(now);
  ASSERT_TRUE(s.take_open());
  s.on_open_failed({404, false, "not found"}, now);
  ASSERT_TRUE(s.finished());
  EXPECT_EQ(s.outcome()->end, ClientEnd::refused);
  EXPECT_EQ(s.outcome()->http_status, 404u);
}

TEST(V4ClientSession, GivesUpAtTheDeadlineAfterALastAttempt) {
  auto s = connected();
  s.on_transport_lost("reset", t0);
  TimePoint now = t0;
  int attempts = 0;
  while (!s.finished() && attempts < 1000) {
    ASSERT_TRUE(s.next_deadline());
    now = *s.next_deadline();
    s.on_timeout(now);
    if (auto open = s.take_open()) {
      ++attempts;
      s.on_open_failed({0, false, "connection refused"}, now);
    }
  }
  ASSERT_TRUE(s.finished());
  EXPECT_EQ(s.outcome()->end, ClientEnd::gave_up);
  EXPECT_EQ(now, t0 + Duration{10000});
  EXPECT_NE(s.outcome()->detail.find("connection refused"), std::string::npos) << s.outcome()->detail;
}

TEST(V4ClientSession, AnOpenWithoutAHelloIsAbandoned) {
  V4ClientSession s(config());
  s.start(t0);
  (void)s.take_open();
  s.on_open_succeeded(t0);
  EXPECT_EQ(*s.next_deadline(), t0 + Duration{15000});
  s.on_timeout(t0 + Duration{15000});
  EXPECT_TRUE(s.take_abandon());
  ASSERT_TRUE(s.finished());
  EXPECT_EQ(s.outcome()->end, ClientEnd::lost_before_connect);
}

TEST(V4ClientSession, AcksAreBatchedWithAQuietFlush) {
  auto c = config();
  c.ack_batch = 32 * 1024;
  c.ack_delay = Duration{5};
  V4ClientSession s(c);
  s.start(t0);
  (void)s.take_open();
  s.on_open_succeeded(t0);
  (void)s.on_relay_message(v4::encode(v4::ConnectSuccess{"sid-0123456789abcdefghij"}), true, t0);
  const auto data = v4::encode(v4::Data{Bytes(12000, 'd')});
  for (int i = 0; i < 2; ++i) {
    auto payload = s.on_relay_message(data, true, t0);
    s.on_delivered(payload->size(), t0);
    EXPECT_FALSE(s.next_relay_message(t0)) << "an ACK below the batch";
  }
  auto payload = s.on_relay_message(data, true, t0);
  s.on_delivered(payload->size(), t0);  // 36,000: a batch
  EXPECT_EQ(std::get<v4::Ack>(*v4::decode_message(**s.next_relay_message(t0))).ack, 36000u);
  payload = s.on_relay_message(data, true, t0);
  s.on_delivered(payload->size(), t0);
  EXPECT_FALSE(s.next_relay_message(t0));
  EXPECT_TRUE(s.ack_pending());
  s.on_timeout(t0 + Duration{5});
  EXPECT_EQ(std::get<v4::Ack>(*v4::decode_message(**s.next_relay_message(t0))).ack, 48000u);
}

// The user's stop ends the session at the relay at once (4000), where any other clean close would only
// detach it for the grace period.
TEST(V4ClientSession, StopEndsTheSessionWith4000) {
  auto s = connected();
  s.stop(t0);
  auto close = s.take_close();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->code, close_code::client_ended);
  EXPECT_EQ(s.outcome()->end, ClientEnd::stopped);
  EXPECT_FALSE(s.take_close());
}

// packFrames: the page's client reads every frame of a message in order and hands over one span.
TEST(V4ClientSession, APackedMessageIsReadFrameByFrame) {
  auto c = config();
  c.pack_frames = true;
  V4ClientSession s(c);
  s.start(t0);
  auto open = s.take_open();
  ASSERT_TRUE(open);
  EXPECT_EQ(open->request_target, "/r/v4/connect?host=db1&port=2222&dstUsername=alice&packFrames=1");
  s.on_open_succeeded(t0);
  ASSERT_TRUE(s.on_local_data(Bytes{'u', 'p'}, t0));
  (void)s.next_relay_message(t0);  // the client's 2 bytes, now unacknowledged

  // CONNECT_SUCCESS, two DATA frames and an ACK of the client's bytes, in one message.
  Bytes message = v4::encode(v4::ConnectSuccess{"sid-0123456789abcdefghij"});
  const Bytes first(16384, 'a'), second{'b', 'c', 'd'};
  for (const auto& frame : {v4::encode(v4::Data{first}), v4::encode(v4::Data{second}), v4::encode(v4::Ack{2})}) {
    message.insert(message.end(), frame.begin(), frame.end());
  }
  auto payload = s.on_relay_message(message, true, t0);
  ASSERT_TRUE(payload);
  Bytes expected = first;
  expected.insert(expected.end(), second.begin(), second.end());
  EXPECT_EQ(Bytes(payload->begin(), payload->end()), expected);
  EXPECT_EQ(s.session_id(), "sid-0123456789abcdefghij");
  EXPECT_EQ(s.stream().bytes_received(), expected.size());
  EXPECT_EQ(s.stream().unacked(), 0u) << "the ACK inside the message was read";
  s.on_delivered(payload->size(), t0);

  // One DATA frame alone is handed over as a view, as without packing.
  const Bytes alone{'e'};
  const auto single = v4::encode(v4::Data{alone});
  auto view = s.on_relay_message(single, true, t0);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->data(), single.data() + v4::kDataHeaderSize);
  s.on_delivered(view->size(), t0);

  // A frame cut short at the end of a message is a protocol error, and nothing of the message is kept.
  Bytes truncated = v4::encode(v4::Data{second});
  const auto cut = v4::encode(v4::Data{first});
  truncated.insert(truncated.end(), cut.begin(), cut.begin() + 100);
  EXPECT_FALSE(s.on_relay_message(truncated, true, t0));
  ASSERT_TRUE(s.outcome());
  EXPECT_EQ(s.outcome()->end, ClientEnd::protocol_error);
  EXPECT_NE(s.outcome()->detail.find("truncated frame"), std::string::npos) << s.outcome()->detail;
}

}  // namespace
}  // namespace sshrelay
