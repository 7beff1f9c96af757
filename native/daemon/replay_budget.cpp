#include "native/daemon/replay_budget.hpp"

#include <algorithm>

namespace sshrelay::daemon {

std::size_t ReplayBudget::reserve(std::size_t wanted, std::size_t minimum) {
  std::size_t used = in_use_.load(std::memory_order_relaxed);
  for (;;) {
    const std::size_t room = limit_ > used ? limit_ - used : 0;
    const std::size_t take = std::min(wanted, room);
    if (take == 0 || take < minimum) return 0;
    if (in_use_.compare_exchange_weak(used, used + take, std::memory_order_relaxed)) {
      std::size_t peak = peak_.load(std::memory_order_relaxed);
      while (used + take > peak && !peak_.compare_exchange_weak(peak, used + take, std::memory_order_relaxed)) {
      }
      return take;
    }
  }
}

void ReplayBudget::charge(std::size_t n) {
  const std::size_t now = in_use_.fetch_add(n, std::memory_order_relaxed) + n;
  std::size_t peak = peak_.load(std::memory_order_relaxed);
  while (now > peak && !peak_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}

}  // namespace sshrelay::daemon
