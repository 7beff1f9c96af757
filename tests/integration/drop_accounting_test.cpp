// Issue #11 item 4: nothing the client sent is forgotten at a drop. The Secure Shell extension never
// retransmits: after a reconnect it trusts RECONNECT_SUCCESS(n) and sends on from byte n, so a relay that
// reports fewer bytes than reached its socket corrupts the SSH stream ("Bad packet length").
//
// The client here behaves like the extension: it sends DATA while the relay is blocked writing to it (a
// tiny receive window) and cannot read it (the target is not reading yet, so the relay's target write is
// pending and the client's frames pile up in the relay's kernel buffer); then it vanishes (a reset). The
// reconnect's RECONNECT_SUCCESS must count every DATA byte that reached the relay's socket, and the
// target must get exactly those bytes.
#include <gtest/gtest.h>

#include <boost/asio/write.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/wire/v4_frame.hpp"
#include "core/wire/v4_url.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/raw_wire.hpp"
#include "tests/support/files.hpp"
#include "tests/support/relay_daemon.hpp"

namespace sshrelay::itest {
namespace {

using testing::RelayDaemon;

constexpr std::size_t kPayload = 8 * 1024;
constexpr std::size_t kMaxFrames = 8192;  // 64 MiB at most

// A target that writes without pause and reads only once told to, counting what it reads.
struct StalledTarget {
  std::atomic<bool> start_reading{false};
  std::atomic<std::uint64_t> received{0};
  TcpTarget server{[this](tcp::socket& socket) {
    std::thread writer([&socket] {
      const std::vector<std::uint8_t> chunk(64 * 1024, 'd');
      boost::system::error_code ec;
      for (int i = 0; i < 256 && !ec; ++i) asio::write(socket, asio::buffer(chunk), ec);  // 16 MiB
    });
    wait_until([this] { return start_reading.load(); }, 120s);
    std::vector<std::uint8_t> buffer(64 * 1024);
    boost::system::error_code ec;
    while (!ec) received += socket.read_some(asio::buffer(buffer), ec);
    writer.join();
  }};
};

TEST(DropAccounting, ReconnectCountsEveryDataByteThatReachedTheRelaysSocket) {
  RelayDaemon relay;
  relay.start(relayd_path(), {"--unsafe-allow-loopback"});
  auto log = [&] { return "\n--- relayd log:\n" + testing::file_tail(relay.log_path()); };
  StalledTarget target;

  RawV4Wire wire(relay.port(), upgrade_request(relay.port(), v4::connect_request_target("", "127.0.0.1", target.server.port(), "t")),
                 4096);
  auto first = wire.next_message();
  ASSERT_TRUE(first) << log();
  auto hello = v4::decode_message(*first);
  ASSERT_TRUE(hello && std::holds_alternative<v4::ConnectSuccess>(*hello)) << log();
  const std::string sid = std::get<v4::ConnectSuccess>(*hello).session_id;

  // DATA frames until the relay stops taking them (its target write waits, so it reads no more).
  const std::vector<std::uint8_t> payload(kPayload, 'u');
  const auto frame = client_frame(0x2, v4::encode(v4::Data{payload}));
  std::vector<std::size_t> frame_ends;  // bytes written when each frame was complete
  std::size_t written = 0;
  for (std::size_t i = 0; i < kMaxFrames; ++i) {
    const auto n = wire.connection().send_within(frame, 1500ms);
    written += n;
    if (n < frame.size()) break;
    frame_ends.push_back(written);
  }
  ASSERT_LT(frame_ends.size(), kMaxFrames) << "the relay kept reading: nothing piled up" << log();

  // What reached the relay's socket: everything written that its TCP acknowledged (loopback acknowledges
  // at once; wait until the count settles).
  std::size_t unacked = wire.connection().unacknowledged();
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(100ms);
    const auto now = wire.connection().unacknowledged();
    if (now == unacked) break;
    unacked = now;
  }
  const std::size_t reached = written - unacked;
  std::uint64_t expected = 0;
  for (const auto end : frame_ends) {
    if (end <= reached) expected += kPayload;
  }
  ASSERT_GE(expected, 64u * 1024) << "too little reached the relay for the test to mean anything";

  wire.connection().reset();  // the client vanishes while the relay is writing to it
  target.start_reading = true;

  RawV4Wire again(relay.port(), upgrade_request(relay.port(), v4::reconnect_request_target("", sid, 0)));
  auto resumed = again.next_message(30s);
  ASSERT_TRUE(resumed) << log();
  auto resumed_frame = v4::decode_message(*resumed);
  ASSERT_TRUE(resumed_frame && std::holds_alternative<v4::ReconnectSuccess>(*resumed_frame)) << log();
  EXPECT_EQ(std::get<v4::ReconnectSuccess>(*resumed_frame).ack, expected)
      << "RECONNECT_SUCCESS must count every DATA byte that reached the relay (" << frame_ends.size()
      << " frames written, " << reached << " of " << written << " bytes acknowledged by TCP)" << log();
  EXPECT_TRUE(wait_until([&] { return target.received.load() >= expected; }, 60s))
      << "the target got " << target.received.load() << " of " << expected << log();
  EXPECT_EQ(target.received.load(), expected);
}

}  // namespace
}  // namespace sshrelay::itest
