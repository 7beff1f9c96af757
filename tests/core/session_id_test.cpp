#include "core/session/session_id.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sshrelay {
namespace {

TEST(SessionId, EncodesCallerRandomness) {
  std::vector<std::uint8_t> random(16, 0);
  for (std::size_t i = 0; i < random.size(); ++i) random[i] = static_cast<std::uint8_t>(0xf0 + i);
  const auto sid = make_session_id(random);
  ASSERT_TRUE(sid.ok()) << sid.error().message;
  EXPECT_EQ(*sid, "8PHy8_T19vf4-fr7_P3-_w");
  EXPECT_EQ(sid->size(), kMinSessionIdLength);
  EXPECT_TRUE(is_valid_session_id(*sid));
}

TEST(SessionId, RefusesTooLittleRandomness) {
  const std::vector<std::uint8_t> random(15, 0x42);
  const auto sid = make_session_id(random);
  ASSERT_FALSE(sid.ok());
  EXPECT_EQ(sid.error().kind, ErrorKind::local);
  EXPECT_EQ(sid.error().message, "session id needs at least 16 random bytes, got 15");
  EXPECT_FALSE(make_session_id({}).ok());
}

TEST(SessionId, LongestIdIsStillValid) {
  const std::vector<std::uint8_t> random(kMaxSessionIdRandomBytes, 0xa5);
  const auto sid = make_session_id(random);
  ASSERT_TRUE(sid.ok()) << sid.error().message;
  EXPECT_EQ(sid->size(), kMaxSessionIdLength);
  EXPECT_TRUE(is_valid_session_id(*sid));

  const std::vector<std::uint8_t> too_many(kMaxSessionIdRandomBytes + 1, 0xa5);
  const auto refused = make_session_id(too_many);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::local);
}

TEST(SessionId, ValidatesLengthAndAlphabet) {
  EXPECT_TRUE(is_valid_session_id(std::string(22, 'a')));
  EXPECT_TRUE(is_valid_session_id(std::string(128, '_')));
  EXPECT_TRUE(is_valid_session_id("AZaz09-_AZaz09-_AZaz09"));
  EXPECT_FALSE(is_valid_session_id(""));
  EXPECT_FALSE(is_valid_session_id(std::string(21, 'a')));
  EXPECT_FALSE(is_valid_session_id(std::string(129, 'a')));
  EXPECT_FALSE(is_valid_session_id("AZaz09-_AZaz09-_AZaz0="));
  EXPECT_FALSE(is_valid_session_id("AZaz09-_AZaz09-_AZaz0+"));
  EXPECT_FALSE(is_valid_session_id("AZaz09-_AZaz09-_AZaz0/"));
  EXPECT_FALSE(is_valid_session_id("AZaz09-_AZaz09-_AZaz0 "));
  EXPECT_FALSE(is_valid_session_id("AZaz09-_AZaz09-_AZaz0%41"));
  EXPECT_FALSE(is_valid_session_id(std::string("AZaz09-_AZaz09-_AZaz0\0", 22)));
}

}  // namespace
}  // namespace sshrelay
