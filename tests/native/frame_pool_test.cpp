#include "native/daemon/frame_pool.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace sshrelay::daemon {
namespace {

TEST(FramePool, ADroppedFrameIsReusedFullSizeByTheNextTake) {
  const std::size_t spares_before = FramePool::spares();
  auto frame = FramePool::take();
  ASSERT_EQ(frame->size(), FramePool::kFrameSize);
  const auto* memory = frame->data();
  frame->resize(100);  // trimmed to a short payload, as the replay buffer does
  frame.reset();
  EXPECT_EQ(FramePool::spares(), spares_before + 1);
  auto again = FramePool::take();
  EXPECT_EQ(again->data(), memory);
  EXPECT_EQ(again->size(), FramePool::kFrameSize);
  EXPECT_EQ(FramePool::spares(), spares_before);
}

TEST(FramePool, KeepsAtMostKMaxSparesPerThread) {
  std::thread([] {  // a fresh thread: its own, empty pool
    std::vector<FrameBuffer> frames;
    for (std::size_t i = 0; i < FramePool::kMaxSpares + 10; ++i) frames.push_back(FramePool::take());
    EXPECT_EQ(FramePool::spares(), 0u);
    frames.clear();
    EXPECT_EQ(FramePool::spares(), FramePool::kMaxSpares);
  }).join();
}

TEST(FramePool, AFrameDroppedOnAThreadThatNeverTookOneIsFreedThere) {
  auto frame = FramePool::take();
  const std::size_t here = FramePool::spares();
  std::size_t there = 1;
  std::thread([&] {
    frame.reset();  // that thread has no pool: freed, and no pool is made for it
    there = FramePool::spares();
  }).join();
  EXPECT_EQ(there, 0u);
  EXPECT_EQ(FramePool::spares(), here);  // nor did it come back here
}

}  // namespace
}  // namespace sshrelay::daemon
