// The machines' queue: order kept through pops, bulk reclaiming and reuse; a popped element lets go of
// what it holds at once (a replay entry's frame must not outlive its acknowledgement).
#include "core/common/fifo.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <random>

#include "core/common/take_front.hpp"

namespace sshrelay {
namespace {

TEST(Fifo, KeepsOrderLikeADequeThroughRandomPushesAndPops) {
  std::mt19937 random(7);
  Fifo<int> fifo;
  std::deque<int> model;
  int next = 0;
  for (int step = 0; step < 20000; ++step) {
    if (random() % 3 != 0 || model.empty()) {
      fifo.push_back(next);
      model.push_back(next++);
    } else {
      ASSERT_EQ(fifo.front(), model.front());
      fifo.pop_front();
      model.pop_front();
    }
    ASSERT_EQ(fifo.size(), model.size());
    ASSERT_EQ(fifo.empty(), model.empty());
    if (!model.empty()) {
      ASSERT_EQ(fifo.back(), model.back());
    }
  }
  ASSERT_TRUE(std::equal(fifo.begin(), fifo.end(), model.begin(), model.end()));
  while (auto value = take_front(fifo)) {
    ASSERT_EQ(*value, model.front());
    model.pop_front();
  }
  EXPECT_TRUE(model.empty());
}

TEST(Fifo, APoppedElementReleasesWhatItHoldsAtOnce) {
  Fifo<std::shared_ptr<int>> fifo;
  auto first = std::make_shared<int>(1);
  fifo.push_back(first);
  fifo.push_back(std::make_shared<int>(2));
  EXPECT_EQ(first.use_count(), 2);
  fifo.pop_front();
  EXPECT_EQ(first.use_count(), 1) << "the popped slot still held the element";
  EXPECT_EQ(*fifo.front(), 2);
  fifo.clear();
  EXPECT_TRUE(fifo.empty());
  fifo.emplace_back(std::make_shared<int>(3));
  EXPECT_EQ(*fifo.front(), 3);
}

}  // namespace
}  // namespace sshrelay
