#include "core/session/liveness.hpp"
#include "tests/core/virtual_time.hpp"

#include <gtest/gtest.h>

namespace sshrelay {
namespace {

using testing::t0;
constexpr Duration kInterval{30000};

TEST(Liveness, AQuietIntervalEarnsAPingAndASecondOneIsDeath) {
  Liveness l(kInterval);
  l.start(t0);
  EXPECT_EQ(l.deadline(), t0 + kInterval);
  EXPECT_EQ(l.check(t0 + kInterval), Liveness::Verdict::alive);  // attaching counts as heard
  EXPECT_EQ(l.check(t0 + 2 * kInterval), Liveness::Verdict::ping);
  EXPECT_EQ(l.check(t0 + 3 * kInterval), Liveness::Verdict::dead);
}

TEST(Liveness, AnAnsweredPingKeepsThePeer) {
  Liveness l(kInterval);
  l.start(t0);
  (void)l.check(t0 + kInterval);
  EXPECT_EQ(l.check(t0 + 2 * kInterval), Liveness::Verdict::ping);
  l.heard();  // the pong
  EXPECT_EQ(l.check(t0 + 3 * kInterval), Liveness::Verdict::alive);
  EXPECT_EQ(l.check(t0 + 4 * kInterval), Liveness::Verdict::ping);
}

TEST(Liveness, ALateCheckSchedulesTheNextAWholeIntervalLater) {
  Liveness l(kInterval);
  l.start(t0);
  const TimePoint late = t0 + 10 * kInterval;  // a suspended machine wakes up
  EXPECT_EQ(l.check(late), Liveness::Verdict::alive);
  EXPECT_EQ(l.deadline(), late + kInterval);
}

}  // namespace
}  // namespace sshrelay
