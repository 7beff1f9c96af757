#include "core/wire/v4_frame.hpp"

#include <gtest/gtest.h>

#include <random>

namespace sshrelay::v4 {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Test vectors from design.md §2.
const Bytes kConnectSid = {0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 'S', 'I', 'D'};
const Bytes kDataFF0003 = {0x00, 0x04, 0x00, 0x00, 0x00, 0x03, 0xff, 0x00, 0x03};
const Bytes kAck3 = {0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03};
const Bytes kReconnect = {0x00, 0x02, 0x00, 0x01, 0x20, 0x00, 0x30, 0x00, 0x40, 0x00};

TEST(V4Frame, EncodesTheDesignVectors) {
  const Bytes payload = {0xff, 0x00, 0x03};
  EXPECT_EQ(encode(ConnectSuccess{"SID"}), kConnectSid);
  EXPECT_EQ(encode(Data{payload}), kDataFF0003);
  EXPECT_EQ(encode(Ack{3}), kAck3);
  EXPECT_EQ(encode(ReconnectSuccess{0x1200030004000}), kReconnect);
}

TEST(V4Frame, DecodesTheDesignVectors) {
  EXPECT_EQ(std::get<ConnectSuccess>(*decode_message(kConnectSid)).session_id, "SID");
  auto data = decode_message(kDataFF0003);
  ASSERT_TRUE(data);
  const auto& payload = std::get<Data>(*data).payload;
  EXPECT_EQ(Bytes(payload.begin(), payload.end()), (Bytes{0xff, 0x00, 0x03}));
  EXPECT_EQ(std::get<Ack>(*decode_message(kAck3)).ack, 3u);
  EXPECT_EQ(std::get<ReconnectSuccess>(*decode_message(kReconnect)).ack, 0x1200030004000u);
}

TEST(V4Frame, EncodeRefusesEmptyAndOversizeData) {
  Bytes out;
  EXPECT_EQ(encode(Data{}, out).error().kind, ErrorKind::local);
  const Bytes big(kMaxDataPayload + 1, 0);
  auto status = encode(Data{big}, out);
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("16385"), std::string::npos) << status.error().message;
  const Bytes max(kMaxDataPayload, 7);
  EXPECT_TRUE(encode(Data{max}, out));
  EXPECT_EQ(out.size(), kDataHeaderSize + kMaxDataPayload);
}

TEST(V4Frame, DecodeRejectsMalformedMessagesWithNamedReasons) {
  struct Case {
    Bytes message;
    const char* reason;
  };
  const Case cases[] = {
      {{}, "truncated"},
      {{0x00}, "truncated"},
      {{0x00, 0x04, 0x00, 0x00, 0x00, 0x03, 0xff}, "truncated"},
      {{0x00, 0x07, 0x00, 0x00}, "truncated"},
      {{0x00, 0x04, 0x00, 0x00, 0x40, 0x01}, "DATA length 16385 exceeds the maximum 16384"},
      {{0x00, 0x04, 0x00, 0x00, 0x00, 0x00}, "empty payload"},
      {{0x00, 0x05, 0x00}, "unexpected frame tag 5"},
      {{0x00, 0x07, 0, 0, 0, 0, 0, 0, 0, 3, 0xaa}, "1 bytes after its frame"},
      {{0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0a}, "not printable"},
  };
  for (const auto& c : cases) {
    auto result = decode_message(c.message);
    ASSERT_FALSE(result) << c.reason;
    EXPECT_EQ(result.error().kind, ErrorKind::remote_protocol);
    EXPECT_NE(result.error().message.find(c.reason), std::string::npos) << result.error().message;
  }
}

// Frames of every kind concatenated, then fed at the given split points.
Bytes stream_of_frames() {
  Bytes stream;
  Bytes big(kMaxDataPayload, 0);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 7);
  for (const auto& part : {kConnectSid, kDataFF0003, kAck3, kReconnect, encode(Data{big}), kAck3}) {
    stream.insert(stream.end(), part.begin(), part.end());
  }
  return stream;
}

std::vector<Bytes> decode_in_pieces(const Bytes& stream, const std::vector<std::size_t>& piece_sizes) {
  FrameDecoder decoder;
  std::vector<Bytes> reencoded;
  std::size_t pos = 0;
  std::size_t piece = 0;
  while (pos < stream.size()) {
    const std::size_t want = std::min(piece_sizes[piece++ % piece_sizes.size()], stream.size() - pos);
    const std::size_t took = decoder.feed(std::span(stream).subspan(pos, want));
    pos += took;
    for (;;) {
      auto frame = decoder.next();
      EXPECT_TRUE(frame) << frame.error().message;
      if (!frame || !frame->has_value()) break;
      reencoded.push_back(encode(**frame));
    }
  }
  EXPECT_TRUE(decoder.at_frame_boundary());
  return reencoded;
}

TEST(V4Frame, IncrementalDecoderByteAtATime) {
  const auto stream = stream_of_frames();
  auto frames = decode_in_pieces(stream, {1});
  ASSERT_EQ(frames.size(), 6u);
  Bytes joined;
  for (const auto& f : frames) joined.insert(joined.end(), f.begin(), f.end());
  EXPECT_EQ(joined, stream);
}

TEST(V4Frame, IncrementalDecoderAtRandomSplitPoints) {
  const auto stream = stream_of_frames();
  for (unsigned seed = 0; seed < 200; ++seed) {
    std::mt19937 rng(seed);
    std::vector<std::size_t> sizes(64);
    for (auto& s : sizes) s = std::uniform_int_distribution<std::size_t>(1, 9000)(rng);
    auto frames = decode_in_pieces(stream, sizes);
    Bytes joined;
    for (const auto& f : frames) joined.insert(joined.end(), f.begin(), f.end());
    ASSERT_EQ(joined, stream) << "seed " << seed;
  }
}

TEST(V4Frame, IncrementalDecoderStaysFailedAfterAProtocolError) {
  FrameDecoder decoder;
  const Bytes bad = {0x00, 0x09, 0x00, 0x00};
  decoder.feed(bad);
  auto first = decoder.next();
  ASSERT_FALSE(first);
  decoder.feed(kAck3);
  EXPECT_FALSE(decoder.next());
}

TEST(V4Frame, IncrementalDecoderHoldsAtMostOneMaximalFrame) {
  FrameDecoder decoder;
  const Bytes lots(FrameDecoder::kBufferCap * 2, 0);
  EXPECT_EQ(decoder.feed(lots), FrameDecoder::kBufferCap);
  EXPECT_EQ(decoder.feed(lots), 0u);
}

}  // namespace
}  // namespace sshrelay::v4
