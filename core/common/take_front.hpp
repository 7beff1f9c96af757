#pragma once
// The queues the machines fill for their drivers are drained one element at a time.
#include <deque>
#include <optional>

namespace sshrelay {

// Removes and returns the front of `queue`; nothing when it is empty.
template <class T>
std::optional<T> take_front(std::deque<T>& queue) {
  if (queue.empty()) return std::nullopt;
  std::optional<T> front{std::move(queue.front())};
  queue.pop_front();
  return front;
}

}  // namespace sshrelay
