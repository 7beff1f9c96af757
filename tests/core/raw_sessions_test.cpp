// The plain WebSocket<->TCP sessions (/relay): the relay's side and the client's.
#include <gtest/gtest.h>

#include "core/session/raw_client_session.hpp"
#include "core/session/raw_relay_session.hpp"
#include "core/wire/close_code.hpp"
#include "tests/core/virtual_time.hpp"

namespace sshrelay {
namespace {

using Bytes = std::vector<std::uint8_t>;
using testing::t0;

TEST(RawRelaySession, BytesPassAsTheyAreInBoundedMessages) {
  RawRelaySession s({100, 40, Duration{30000}});
  ASSERT_TRUE(s.attach(std::nullopt, t0));
  const Bytes up = {'s', 's', 'h'};
  auto payload = s.on_client_message(up, true, t0);
  ASSERT_TRUE(payload);
  EXPECT_EQ(Bytes(payload->begin(), payload->end()), up);
  s.on_target_written(3, false, t0);
  s.on_target_data(Bytes(90, 'd'), t0);
  EXPECT_TRUE(s.wants_target_data());
  EXPECT_EQ(s.target_read_room(), 10u);  // the next read takes at most what fits under the cap
  s.on_target_data(Bytes(10, 'd'), t0);
  EXPECT_FALSE(s.wants_target_data());
  std::vector<std::size_t> sizes;
  while (auto out = s.next_client_output(t0)) sizes.push_back(std::get<SendMessage>(*out).bytes->size());
  EXPECT_EQ(sizes, (std::vector<std::size_t>{40, 40, 10, 10}));
  EXPECT_EQ(s.queued(), 100u);  // in flight until written
  for (int i = 0; i < 4; ++i) s.on_client_written(t0);
  EXPECT_EQ(s.queued(), 0u);
  EXPECT_TRUE(s.wants_target_data());
  EXPECT_EQ(s.bytes_down(), 100u);
  EXPECT_EQ(s.bytes_up(), 3u);
}

TEST(RawRelaySession, TargetEofClosesAfterTheLastMessageIsWritten) {
  RawRelaySession s({1 << 20, 64 * 1024, Duration{30000}});
  ASSERT_TRUE(s.attach(std::nullopt, t0));
  s.on_target_data(Bytes(10, 'd'), t0);
  s.on_target_eof("target closed the connection", t0);
  ASSERT_TRUE(std::holds_alternative<SendMessage>(*s.next_client_output(t0)));
  EXPECT_FALSE(s.next_client_output(t0)) << "closed before the data was written";
  s.on_client_written(t0);
  auto close = s.next_client_output(t0);
  ASSERT_TRUE(close && std::holds_alternative<SendClose>(*close));
  EXPECT_EQ(std::get<SendClose>(*close).code, close_code::normal);
}

TEST(RawRelaySession, ALostSocketEndsTheSessionAndTextIsRefused) {
  RawRelaySession s({1 << 20, 64 * 1024, Duration{30000}});
  ASSERT_TRUE(s.attach(std::nullopt, t0));
  s.on_transport_lost("reset", t0);
  EXPECT_TRUE(s.ended());
  RawRelaySession t({1 << 20, 64 * 1024, Duration{30000}});
  ASSERT_TRUE(t.attach(std::nullopt, t0));
  EXPECT_FALSE(t.on_client_message(Bytes{'x'}, false, t0));
  EXPECT_EQ(std::get<SendClose>(*t.next_client_output(t0)).code, close_code::unsupported_data);
}

TEST(RawClientSession, OpensTheRelayUrlAndEndsWhenTheTransportIsLost) {
  RawClientSession s({"", "db1", 22, 1 << 20, 16 * 1024});
  s.start(t0);
  auto open = s.take_open();
  ASSERT_TRUE(open);
  EXPECT_EQ(open->request_target, "/relay?host=db1&port=22");
  s.on_open_succeeded(t0);
  ASSERT_TRUE(s.on_local_data(Bytes(20000, 'u'), t0));
  EXPECT_EQ((*s.next_relay_message(t0))->size(), 16384u);
  EXPECT_EQ((*s.next_relay_message(t0))->size(), 20000u - 16384u);
  auto in = s.on_relay_message(Bytes{'o', 'k'}, true, t0);
  ASSERT_TRUE(in);
  EXPECT_EQ(in->size(), 2u);
  s.on_transport_lost("reset", t0);
  ASSERT_TRUE(s.finished());
  EXPECT_EQ(s.outcome()->end, ClientEnd::transport_lost);
  EXPECT_NE(s.outcome()->detail.find("cannot be resumed"), std::string::npos);
}

}  // namespace
}  // namespace sshrelay
