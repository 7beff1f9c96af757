#pragma once
// The queues the machines fill for their drivers are drained one element at a time.
#include <optional>
#include <type_traits>

namespace sshrelay {

// Removes and returns the front of `queue` (a Fifo or a std::deque); nothing when it is empty.
template <class Queue>
auto take_front(Queue& queue) -> std::optional<std::decay_t<decltype(queue.front())>> {
  if (queue.empty()) return std::nullopt;
  std::optional<std::decay_t<decltype(queue.front())>> front{std::move(queue.front())};
  queue.pop_front();
  return front;
}

}  // namespace sshrelay
