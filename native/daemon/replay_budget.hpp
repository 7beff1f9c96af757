#pragma once
// The global cap on bytes held for replay across all sessions. Sessions reserve before they read from
// their target and release as the client acknowledges, so the total never exceeds the limit: when it is
// reached, targets are simply not read (backpressure), and nothing held for replay is ever dropped.
#include <atomic>
#include <cstddef>

namespace sshrelay::daemon {

class ReplayBudget {
 public:
  explicit ReplayBudget(std::size_t limit) : limit_(limit) {}

  // Reserves up to `wanted` bytes (at least `minimum`); returns what was reserved, 0 if not even that.
  std::size_t reserve(std::size_t wanted, std::size_t minimum);
  void release(std::size_t n) { in_use_.fetch_sub(n, std::memory_order_relaxed); }
  // Counts bytes already held (a rendezvous leg's, which arrive without a read to reserve for), even past
  // the limit: full() then stops what can wait.
  void charge(std::size_t n);
  bool full() const { return in_use() >= limit_; }

  std::size_t limit() const { return limit_; }
  std::size_t in_use() const { return in_use_.load(std::memory_order_relaxed); }
  std::size_t peak() const { return peak_.load(std::memory_order_relaxed); }

 private:
  const std::size_t limit_;
  std::atomic<std::size_t> in_use_{0};
  std::atomic<std::size_t> peak_{0};
};

}  // namespace sshrelay::daemon
