#include "native/daemon/replay_budget.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace sshrelay::daemon {
namespace {

TEST(ReplayBudget, ReservesUpToTheLimitAndTracksThePeak) {
  ReplayBudget budget(100);
  EXPECT_EQ(budget.reserve(60, 1), 60u);
  EXPECT_EQ(budget.reserve(60, 1), 40u);  // partial: what is left
  EXPECT_EQ(budget.reserve(1, 1), 0u);
  budget.release(70);
  EXPECT_EQ(budget.in_use(), 30u);
  EXPECT_EQ(budget.peak(), 100u);
  EXPECT_EQ(budget.reserve(80, 80), 0u);  // less room than the minimum
  EXPECT_EQ(budget.reserve(70, 70), 70u);
}

TEST(ReplayBudget, NeverExceedsTheLimitUnderContention) {
  ReplayBudget budget(1 << 20);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&budget] {
      for (int i = 0; i < 20000; ++i) {
        const auto got = budget.reserve(4096, 1);
        EXPECT_LE(budget.in_use(), budget.limit());
        budget.release(got);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(budget.in_use(), 0u);
  EXPECT_LE(budget.peak(), budget.limit());
}

}  // namespace
}  // namespace sshrelay::daemon
