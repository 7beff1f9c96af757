#pragma once
// When a detached session gives up waiting for its client. Time is passed in: the core reads no clock.
#include <chrono>
#include <optional>

namespace sshrelay {

using TimePoint = std::chrono::steady_clock::time_point;

class SessionLifetime {
 public:
  explicit SessionLifetime(std::chrono::milliseconds grace) : grace_(grace) {}

  void attached() { deadline_.reset(); }
  // Starts the grace period; returns when it ends.
  TimePoint detached(TimePoint now) {
    deadline_ = now + grace_;
    return *deadline_;
  }
  std::optional<TimePoint> next_deadline() const { return deadline_; }
  bool expired(TimePoint now) const { return deadline_ && now >= *deadline_; }

 private:
  std::chrono::milliseconds grace_;
  std::optional<TimePoint> deadline_;
};

}  // namespace sshrelay
