// packFrames=1 (core/wire/v4_url.hpp): a client that asks gets several v4 frames under one WebSocket
// header, every byte in order, no message over four full DATA frames; a client that does not ask (the
// Secure Shell extension) still gets exactly one frame per message. Through the real sshrelayd, with a
// target that writes 8 MiB at once, so the relay has many frames ready per gathered write.
#include <gtest/gtest.h>

#include <boost/asio/write.hpp>

#include <string>
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

constexpr std::size_t kTargetBytes = 8 << 20;
constexpr std::size_t kAckEvery = 256 * 1024;
constexpr std::size_t kMaxPackedMessage = 4 * (v4::kDataHeaderSize + v4::kMaxDataPayload);

std::uint8_t pattern_at(std::size_t i) { return static_cast<std::uint8_t>((i * 131 + i / 4093) & 0xff); }

// Writes kTargetBytes of the pattern, then closes.
TcpTarget::Session writes_pattern() {
  return [](tcp::socket& socket) {
    std::vector<std::uint8_t> chunk(256 * 1024);
    boost::system::error_code ec;
    for (std::size_t sent = 0; sent < kTargetBytes && !ec; sent += chunk.size()) {
      for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = pattern_at(sent + i);
      asio::write(socket, asio::buffer(chunk), ec);
    }
  };
}

struct Download {
  std::size_t messages = 0;
  std::size_t packed_messages = 0;  // holding more than one frame
  std::size_t largest_message = 0;
  std::size_t data_bytes = 0;
  std::size_t pattern_errors = 0;
  std::string failure;
};

// Reads the session until every target byte has arrived, acknowledging as the Secure Shell extension does.
Download download(RawV4Wire& wire) {
  Download d;
  std::size_t acked = 0;
  while (d.data_bytes < kTargetBytes) {
    auto message = wire.next_message(std::chrono::seconds(20));
    if (!message) {
      d.failure = "the relay stopped after " + std::to_string(d.data_bytes) + " bytes";
      return d;
    }
    ++d.messages;
    d.largest_message = std::max(d.largest_message, message->size());
    std::span<const std::uint8_t> rest(*message);
    std::size_t frames = 0;
    while (!rest.empty()) {
      auto size = v4::leading_frame_size(rest);
      if (!size) {
        d.failure = "message " + std::to_string(d.messages) + ": " + size.error().message;
        return d;
      }
      auto frame = v4::decode_message(rest.first(*size));
      if (!frame) {
        d.failure = frame.error().message;
        return d;
      }
      if (auto* data = std::get_if<v4::Data>(&*frame)) {
        for (const auto byte : data->payload) d.pattern_errors += byte != pattern_at(d.data_bytes++);
      }
      rest = rest.subspan(*size);
      ++frames;
    }
    d.packed_messages += frames > 1;
    if (d.data_bytes - acked >= kAckEvery) {
      acked = d.data_bytes;
      wire.send(v4::encode(v4::Ack{acked}));
    }
  }
  return d;
}

class PackedFramesTest : public ::testing::Test {
 protected:
  void SetUp() override { relay_.start(relayd_path(), {"--unsafe-allow-loopback"}); }
  std::string log() { return "\n--- relayd log:\n" + testing::file_tail(relay_.log_path()); }

  RelayDaemon relay_;
  TcpTarget target_{writes_pattern()};
};

TEST_F(PackedFramesTest, AClientThatAsksGetsSeveralFramesPerMessageAndEveryByteInOrder) {
  RawV4Wire wire(relay_.port(), upgrade_request(relay_.port(), v4::connect_request_target("", "127.0.0.1", target_.port(), "t",
                                                                                           /*pack_frames=*/true)));
  const auto d = download(wire);
  ASSERT_EQ(d.failure, "") << log();
  EXPECT_EQ(d.data_bytes, kTargetBytes);
  EXPECT_EQ(d.pattern_errors, 0u);
  EXPECT_GT(d.packed_messages, 0u) << d.messages << " messages, none packed" << log();
  EXPECT_LT(d.messages, kTargetBytes / v4::kMaxDataPayload) << "fewer messages than DATA frames";
  EXPECT_LE(d.largest_message, kMaxPackedMessage);
}

TEST_F(PackedFramesTest, AClientThatDoesNotAskGetsOneFramePerMessage) {
  RawV4Wire wire(relay_.port(), upgrade_request(relay_.port(), v4::connect_request_target("", "127.0.0.1", target_.port(), "t")));
  const auto d = download(wire);
  ASSERT_EQ(d.failure, "") << log();
  EXPECT_EQ(d.data_bytes, kTargetBytes);
  EXPECT_EQ(d.pattern_errors, 0u);
  EXPECT_EQ(d.packed_messages, 0u);
  EXPECT_LE(d.largest_message, v4::kDataHeaderSize + v4::kMaxDataPayload);
}

TEST_F(PackedFramesTest, AMalformedPackFramesValueIsRefusedByName) {
  RawV4Wire wire(relay_.port(), upgrade_request(relay_.port(), "/v4/connect?host=127.0.0.1&port=" +
                                                                   std::to_string(target_.port()) + "&packFrames=maybe"));
  EXPECT_FALSE(wire.next_message()) << "no CONNECT_SUCCESS";
  ASSERT_TRUE(wire.close_frame()) << log();
  EXPECT_EQ(wire.close_frame()->close_code(), 1002) << wire.close_frame()->close_reason();
  EXPECT_NE(wire.close_frame()->close_reason().find("packFrames"), std::string::npos) << wire.close_frame()->close_reason();
}

}  // namespace
}  // namespace sshrelay::itest
