#include "core/wire/websocket_frames.hpp"

#include <gtest/gtest.h>

#include <random>

namespace sshrelay::ws {
namespace {

using Bytes = std::vector<std::uint8_t>;
const std::array<std::uint8_t, 4> kMask{0x37, 0xfa, 0x21, 0x3d};

// A client frame as a browser sends it: masked.
Bytes client_frame(std::uint8_t opcode, const Bytes& payload, bool fin = true, std::uint8_t extra_bits = 0) {
  Bytes out{static_cast<std::uint8_t>((fin ? 0x80 : 0) | extra_bits | opcode)};
  const auto n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<std::uint8_t>(0x80 | n));
  } else if (n <= 0xffff) {
    out.push_back(0x80 | 126);
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.push_back(static_cast<std::uint8_t>(n));
  } else {
    out.push_back(0x80 | 127);
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(std::uint64_t{n} >> (8 * i)));
  }
  out.insert(out.end(), kMask.begin(), kMask.end());
  for (std::size_t i = 0; i < n; ++i) out.push_back(payload[i] ^ kMask[i % 4]);
  return out;
}

void feed(Reader& r, const Bytes& bytes) {
  auto room = r.prepare(bytes.size());
  std::copy(bytes.begin(), bytes.end(), room.begin());
  r.commit(bytes.size());
}

Bytes text_of(std::string_view s) { return {s.begin(), s.end()}; }

TEST(WebSocketFrames, ReadsSeveralMessagesFromOneReadUnmasked) {
  Reader r(1 << 20);
  Bytes wire = client_frame(2, text_of("first"));
  const Bytes big(70000, 0xab);
  auto second = client_frame(2, big);
  wire.insert(wire.end(), second.begin(), second.end());
  feed(r, wire);
  auto a = r.next();
  ASSERT_TRUE(a && *a);
  EXPECT_EQ(Bytes(std::get<Message>(**a).payload.begin(), std::get<Message>(**a).payload.end()), text_of("first"));
  auto b = r.next();
  ASSERT_TRUE(b && *b);
  EXPECT_EQ(Bytes(std::get<Message>(**b).payload.begin(), std::get<Message>(**b).payload.end()), big);
  EXPECT_FALSE(*r.next());
  EXPECT_EQ(r.buffered(), 0u);
}

TEST(WebSocketFrames, ReassemblesFragmentsAroundAControlFrameAtAnySplit) {
  Bytes wire = client_frame(2, text_of("frag"), false);
  auto ping = client_frame(9, text_of("p"));
  auto tail = client_frame(0, text_of("mented"), true);
  wire.insert(wire.end(), ping.begin(), ping.end());
  wire.insert(wire.end(), tail.begin(), tail.end());
  for (std::size_t split = 0; split <= wire.size(); ++split) {
    Reader r(1 << 20);
    std::vector<Event> events;
    for (const auto& part : {Bytes(wire.begin(), wire.begin() + split), Bytes(wire.begin() + split, wire.end())}) {
      feed(r, part);
      while (true) {
        auto e = r.next();
        ASSERT_TRUE(e) << e.error().message;
        if (!*e) break;
        if (auto* m = std::get_if<Message>(&**e)) {
          events.push_back(Message{m->binary, {}});
          EXPECT_EQ(std::string(m->payload.begin(), m->payload.end()), "fragmented") << "split " << split;
        } else {
          events.push_back(**e);
        }
      }
    }
    ASSERT_EQ(events.size(), 2u) << "split " << split;
    EXPECT_EQ(std::get<Ping>(events[0]).payload, text_of("p"));
    EXPECT_TRUE(std::get<Message>(events[1]).binary);
  }
}

// A connection moved to another process: the bytes read but not parsed start a new reader, at every
// split of the frame that was on its way; a half-reassembled message does not move.
TEST(WebSocketFrames, UnparsedBytesStartAnotherReaderWhereThisOneStopped) {
  const Bytes first = client_frame(2, text_of("parsed here"));
  const Bytes second = client_frame(2, Bytes(300, 0x5a));
  for (std::size_t split = 0; split <= second.size(); ++split) {
    Reader here(1 << 20);
    Bytes wire = first;
    wire.insert(wire.end(), second.begin(), second.begin() + split);
    feed(here, wire);
    auto a = here.next();
    ASSERT_TRUE(a && *a);
    if (split < second.size()) ASSERT_FALSE(*here.next());
    else ASSERT_TRUE(*here.next());  // whole: parsed here too, nothing left over
    const auto left = here.unparsed();
    ASSERT_TRUE(left);
    Reader there(1 << 20);
    feed(there, Bytes(left->begin(), left->end()));
    feed(there, Bytes(second.begin() + split, second.end()));
    auto b = there.next();
    ASSERT_TRUE(b);
    if (split == second.size()) {
      EXPECT_FALSE(*b);
      continue;
    }
    ASSERT_TRUE(*b) << "split " << split;
    EXPECT_EQ(std::get<Message>(**b).payload.size(), 300u);
  }
  Reader fragmented(1 << 20);
  feed(fragmented, client_frame(2, text_of("half"), false));
  ASSERT_FALSE(*fragmented.next());
  EXPECT_FALSE(fragmented.unparsed());
}

TEST(WebSocketFrames, RefusesWhatNoBrowserSends) {
  struct Case {
    Bytes wire;
    std::uint16_t code;
  };
  Bytes unmasked = {0x82, 0x02, 'h', 'i'};
  Bytes huge_length = {0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
  const std::vector<Case> cases = {
      {unmasked, 1002},
      {client_frame(2, text_of("x"), true, 0x40), 1002},            // RSV1
      {client_frame(5, text_of("x")), 1002},                        // reserved opcode
      {client_frame(0, text_of("x")), 1002},                        // continuation without a start
      {client_frame(9, text_of("x"), false), 1002},                 // fragmented ping
      {client_frame(9, Bytes(126, 'p')), 1002},                     // long ping
      {client_frame(8, Bytes{0x03}), 1002},                         // one-byte close
      {client_frame(8, Bytes{0x03, 0xed}), 1002},                   // close code 1005 may not be sent
      {client_frame(8, Bytes{0x03, 0xe8, 0xff}), 1007},             // reason not UTF-8
      {client_frame(2, Bytes(1025, 'b')), 1009},                    // over the limit
      {huge_length, 1009},
  };
  for (const auto& c : cases) {
    Reader r(1024);
    feed(r, c.wire);
    auto e = r.next();
    ASSERT_FALSE(e) << "accepted " << c.code;
    EXPECT_EQ(r.close_code(), c.code) << e.error().message;
    EXPECT_FALSE(r.next());  // stays failed
  }
  // Fragments that only together exceed the limit.
  Reader r(1024);
  feed(r, client_frame(2, Bytes(600, 'a'), false));
  feed(r, client_frame(0, Bytes(600, 'a'), true));
  EXPECT_FALSE(r.next());
  EXPECT_EQ(r.close_code(), 1009);
  // A new message inside a fragmented one.
  Reader s(1024);
  feed(s, client_frame(2, text_of("a"), false));
  feed(s, client_frame(2, text_of("b")));
  EXPECT_FALSE(s.next());
  EXPECT_EQ(s.close_code(), 1002);
}

TEST(WebSocketFrames, ReadsCloseFramesAndKeepsViewsUntilRelease) {
  Reader r(1024);
  Bytes close = {0x0f, 0xa0};  // 4000
  const auto reason = text_of("bye \xc3\xa9");
  close.insert(close.end(), reason.begin(), reason.end());
  feed(r, client_frame(2, text_of("keep")));
  feed(r, client_frame(8, close));
  auto m = r.next();
  const auto view = std::get<Message>(**m).payload;
  auto c = r.next();
  EXPECT_EQ(std::get<Close>(**c).code, 4000);
  EXPECT_EQ(std::get<Close>(**c).reason, "bye \xc3\xa9");
  EXPECT_EQ(std::string(view.begin(), view.end()), "keep");  // not released: still there
  r.release();
  feed(r, client_frame(8, {}));
  EXPECT_EQ(std::get<Close>(**r.next()).code, 0);
}

TEST(WebSocketFrames, EncodesServerHeadersAndClosePayloads) {
  auto h = frame_header(Opcode::binary, 5);
  EXPECT_EQ(Bytes(h.view().begin(), h.view().end()), (Bytes{0x82, 5}));
  h = frame_header(Opcode::binary, 300);
  EXPECT_EQ(Bytes(h.view().begin(), h.view().end()), (Bytes{0x82, 126, 0x01, 0x2c}));
  h = frame_header(Opcode::binary, 70000);
  EXPECT_EQ(Bytes(h.view().begin(), h.view().end()), (Bytes{0x82, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70}));
  EXPECT_EQ(close_payload(1000, "ok"), (Bytes{0x03, 0xe8, 'o', 'k'}));
  EXPECT_EQ(close_payload(4403, std::string(200, 'x')).size(), 2u + 123u);
}

TEST(WebSocketFrames, UnmaskAgreesWithTheRuleAtEveryOffsetAndLength) {
  std::mt19937 rng(1);
  for (std::size_t n = 0; n < 40; ++n) {
    for (std::size_t offset = 0; offset < 4; ++offset) {
      Bytes data(n);
      for (auto& b : data) b = static_cast<std::uint8_t>(rng());
      Bytes expected = data;
      for (std::size_t i = 0; i < n; ++i) expected[i] ^= kMask[(offset + i) % 4];
      unmask(data, kMask, offset);
      EXPECT_EQ(data, expected) << n << " " << offset;
    }
  }
}

}  // namespace
}  // namespace sshrelay::ws
