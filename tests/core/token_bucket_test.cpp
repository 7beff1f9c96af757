#include "core/policy/token_bucket.hpp"

#include <gtest/gtest.h>

namespace sshrelay {
namespace {

TEST(TokenBuckets, AllowsABurstThenTheRate) {
  TokenBuckets buckets(2.0, 3.0);
  const TimePoint t0{};
  EXPECT_TRUE(buckets.try_take("1.2.3.4", t0));
  EXPECT_TRUE(buckets.try_take("1.2.3.4", t0));
  EXPECT_TRUE(buckets.try_take("1.2.3.4", t0));
  EXPECT_FALSE(buckets.try_take("1.2.3.4", t0));
  EXPECT_TRUE(buckets.try_take("5.6.7.8", t0));  // keys are independent
  EXPECT_TRUE(buckets.try_take("1.2.3.4", t0 + std::chrono::milliseconds(500)));  // 2/s refills one in 0.5 s
  EXPECT_FALSE(buckets.try_take("1.2.3.4", t0 + std::chrono::milliseconds(600)));
}

TEST(TokenBuckets, StaysBoundedUnderAFloodOfKeys) {
  TokenBuckets buckets(1.0, 1.0, 100);
  const TimePoint t0{};
  for (int i = 0; i < 10000; ++i) EXPECT_TRUE(buckets.try_take("k" + std::to_string(i), t0));
}

}  // namespace
}  // namespace sshrelay
