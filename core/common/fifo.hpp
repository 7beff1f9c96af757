#pragma once
// A first-in first-out queue for the machines' small queues (events for the driver, frames to write,
// replay entries). Why not std::deque: libstdc++'s allocates a 512-byte block and its map as soon as it
// is constructed, so a session holding four empty queues held over 2 KiB for nothing, which is most of
// what an idle session costs (docs/performance.md). This one is a vector with a read index: nothing is
// allocated until the first push, popped slots are reclaimed in bulk, and an emptied queue that grew
// past a few slots gives its memory back.
#include <cstddef>
#include <utility>
#include <vector>

namespace sshrelay {

template <class T>
class Fifo {
 public:
  using iterator = typename std::vector<T>::iterator;
  using const_iterator = typename std::vector<T>::const_iterator;

  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }

  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }
  T& back() { return items_.back(); }
  const T& back() const { return items_.back(); }

  void push_back(T value) { items_.push_back(std::move(value)); }
  template <class... Args>
  T& emplace_back(Args&&... args) {
    return items_.emplace_back(std::forward<Args>(args)...);
  }

  void pop_front() {
    items_[head_] = T{};  // release what the element holds now, not when its slot is reclaimed
    ++head_;
    if (head_ == items_.size()) {
      clear();
    } else if (head_ >= kCompactAfter && head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  void clear() {
    if (items_.capacity() > kKeepCapacity) {
      std::vector<T>().swap(items_);
    } else {
      items_.clear();
    }
    head_ = 0;
  }

  iterator begin() { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  iterator end() { return items_.end(); }
  const_iterator begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  const_iterator end() const { return items_.end(); }

 private:
  static constexpr std::size_t kCompactAfter = 32;  // popped slots reclaimed at once, not one by one
  static constexpr std::size_t kKeepCapacity = 8;   // an emptied queue keeps at most this many slots

  std::vector<T> items_;
  std::size_t head_ = 0;  // the front's index; slots before it are popped
};

}  // namespace sshrelay
