#include "core/session/reconnect_policy.hpp"
#include "tests/core/virtual_time.hpp"

#include <gtest/gtest.h>

namespace sshrelay {
namespace {

using testing::t0;

TEST(ReconnectPolicy, WaitsGrowExponentiallyWithEqualJitterUpToTheMaximum) {
  ReconnectPolicy p({Duration{100}, Duration{2000}, Duration{120000}});
  p.dropped(t0);
  TimePoint now = t0;
  const Duration::rep ceilings[] = {100, 200, 400, 800, 1600, 2000, 2000};
  for (auto ceiling : ceilings) {
    for (std::uint64_t random : {std::uint64_t{0}, ~std::uint64_t{0}, std::uint64_t{12345}}) {
      ReconnectPolicy copy = p;
      const auto at = copy.next_attempt(now, random);
      ASSERT_TRUE(at);
      const auto wait = std::chrono::duration_cast<Duration>(*at - now).count();
      EXPECT_GE(wait, ceiling / 2) << "ceiling " << ceiling;
      EXPECT_LE(wait, ceiling) << "ceiling " << ceiling;
    }
    now = *p.next_attempt(now, 0);
  }
}

TEST(ReconnectPolicy, TheLastAttemptIsAtTheDeadlineThenItGivesUp) {
  ReconnectPolicy p({Duration{1000}, Duration{4000}, Duration{10000}});
  p.dropped(t0);
  TimePoint now = t0;
  std::optional<TimePoint> at;
  int attempts = 0;
  while ((at = p.next_attempt(now, 7)) && attempts < 100) {
    EXPECT_LE(*at, t0 + Duration{10000});
    now = *at;
    ++attempts;
  }
  EXPECT_EQ(now, t0 + Duration{10000});  // the last attempt was made at the deadline
  EXPECT_FALSE(p.next_attempt(now, 7));
  EXPECT_LT(attempts, 100);
}

TEST(ReconnectPolicy, ASuccessStartsTheNextSeriesAfresh) {
  ReconnectPolicy p({Duration{100}, Duration{2000}, Duration{5000}});
  p.dropped(t0);
  (void)p.next_attempt(t0, 0);
  (void)p.next_attempt(t0, 0);
  EXPECT_EQ(p.attempts(), 2u);
  p.dropped(t0 + Duration{1});  // a drop during the series continues it
  EXPECT_EQ(p.dropped_at(), t0);
  p.succeeded();
  EXPECT_FALSE(p.in_series());
  p.dropped(t0 + Duration{60000});
  EXPECT_EQ(p.deadline(), t0 + Duration{65000});
  EXPECT_EQ(p.attempts(), 0u);
}

}  // namespace
}  // namespace sshrelay
