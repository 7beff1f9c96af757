#pragma once
// One Asio timer kept at a sans-I/O machine's next_deadline(). Both the daemon's session driver and the
// client's relay connection hand their machine's deadline here after every input (pump): the timer is
// re-armed only when the deadline moved, and a wait overtaken by a re-arm or a cancel does nothing.
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <optional>
#include <utility>

namespace sshrelay::native {

class DeadlineTimer {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Handlers run on `executor` (a strand: the owner's).
  explicit DeadlineTimer(const boost::asio::any_io_executor& executor) : timer_(executor) {}

  // Keeps the timer at `deadline` (none: no timer). When it passes, `on_due` runs once. `on_due` must
  // hold what keeps the owner (and so this timer) alive, typically the owner's shared_from_this().
  template <class Handler>
  void keep_at(std::optional<TimePoint> deadline, Handler on_due) {
    if (deadline == armed_for_) return;
    armed_for_ = deadline;
    if (!deadline) {
      timer_.cancel();
      return;
    }
    timer_.expires_at(*deadline);
    timer_.async_wait([this, at = *deadline, on_due = std::move(on_due)](boost::system::error_code ec) mutable {
      if (ec || armed_for_ != at) return;  // cancelled, or moved since
      armed_for_.reset();
      on_due();
    });
  }

  // No deadline until the next keep_at() (the owner is ending).
  void cancel() {
    armed_for_.reset();
    timer_.cancel();
  }

 private:
  boost::asio::steady_timer timer_;
  std::optional<TimePoint> armed_for_;
};

}  // namespace sshrelay::native
