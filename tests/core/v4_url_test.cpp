#include "core/wire/v4_url.hpp"

#include <gtest/gtest.h>

namespace sshrelay::v4 {
namespace {

TEST(V4Url, BuildsConnectAndReconnectTargetsWithEveryReservedByteEscaped) {
  EXPECT_EQ(connect_request_target("", "db1.example.com", 22, "alice"),
            "/v4/connect?host=db1.example.com&port=22&dstUsername=alice");
  EXPECT_EQ(connect_request_target("/relay", "::1", 2222, "a&b=c d+e"),
            "/relay/v4/connect?host=%3A%3A1&port=2222&dstUsername=a%26b%3Dc%20d%2Be");
  EXPECT_EQ(reconnect_request_target("", "AbC-_9", 18446744073709551615u),
            "/v4/reconnect?sid=AbC-_9&ack=18446744073709551615");
  EXPECT_EQ(percent_encode_component("~._-Az09\xff/"), "~._-Az09%FF%2F");
}

// Issue #10 F4: ack=2^64 parsed as 0 (the error of from_chars was ignored), resuming from the start.
TEST(V4Url, ByteCountsAreDecimalAndNeverWrap) {
  EXPECT_EQ(*parse_byte_count("0"), 0u);
  EXPECT_EQ(*parse_byte_count("18446744073709551615"), 18446744073709551615u);
  for (const char* bad : {"18446744073709551616", "99999999999999999999999", "", "-1", "+1", " 1", "1 ", "0x10",
                          "1e3", "12a"}) {
    EXPECT_FALSE(parse_byte_count(bad).ok()) << bad;
  }
  EXPECT_EQ(parse_byte_count("18446744073709551616").error().message, "2^64 or more");
}

TEST(V4Url, ParsesConnectRequests) {
  auto ok = parse_connect_request({{"host", "[::1]"}, {"port", "22"}, {"dstUsername", "bob"}});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->target.to_string(), "[::1]:22");
  EXPECT_EQ(ok->user, "bob");
  EXPECT_EQ(parse_connect_request({{"host", "h"}, {"port", "22"}})->user, "");
  auto missing = parse_connect_request({{"host", "h"}});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "/v4/connect needs host= and port=");
  EXPECT_FALSE(parse_connect_request({{"host", "h"}, {"port", "65536"}}));
}

TEST(V4Url, ParsesReconnectRequests) {
  const std::string sid = "sid-0123456789abcdefghij";
  auto ok = parse_reconnect_request({{"sid", sid}, {"ack", "4194304"}});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->sid, sid);
  EXPECT_EQ(ok->ack, 4194304u);
  auto wrapped = parse_reconnect_request({{"sid", sid}, {"ack", "18446744073709551616"}});
  ASSERT_FALSE(wrapped);
  EXPECT_EQ(wrapped.error().message, "ack= must be a decimal byte count (2^64 or more)");
  EXPECT_EQ(parse_reconnect_request({{"sid", sid}}).error().message, "missing ack=");
  EXPECT_EQ(parse_reconnect_request({{"sid", "short"}, {"ack", "0"}}).error().message, "missing or malformed sid=");
}

TEST(V4Url, PackFramesIsOursAndOptIn) {
  EXPECT_EQ(connect_request_target("", "h", 22, "u", true), "/v4/connect?host=h&port=22&dstUsername=u&packFrames=1");
  EXPECT_EQ(reconnect_request_target("/p", "sid-0123456789abcdefghij", 7, true),
            "/p/v4/reconnect?sid=sid-0123456789abcdefghij&ack=7&packFrames=1");
  EXPECT_FALSE(parse_connect_request({{"host", "h"}, {"port", "22"}})->pack_frames) << "absent: one frame per message";
  EXPECT_TRUE(parse_connect_request({{"host", "h"}, {"port", "22"}, {"packFrames", "1"}})->pack_frames);
  EXPECT_FALSE(parse_connect_request({{"host", "h"}, {"port", "22"}, {"packFrames", "0"}})->pack_frames);
  const std::string sid = "sid-0123456789abcdefghij";
  EXPECT_TRUE(parse_reconnect_request({{"sid", sid}, {"ack", "0"}, {"packFrames", "1"}})->pack_frames);
  auto bad = parse_connect_request({{"host", "h"}, {"port", "22"}, {"packFrames", "maybe"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "packFrames= must be 1 or 0");
  EXPECT_FALSE(parse_reconnect_request({{"sid", sid}, {"ack", "0"}, {"packFrames", "2"}}));
}

}  // namespace
}  // namespace sshrelay::v4
