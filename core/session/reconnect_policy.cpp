#include "core/session/reconnect_policy.hpp"

#include <algorithm>

namespace sshrelay {

void ReconnectPolicy::dropped(TimePoint now) {
  if (series_) return;
  series_ = true;
  attempts_ = 0;
  dropped_at_ = now;
  deadline_ = now + config_.budget;
}

std::optional<TimePoint> ReconnectPolicy::next_attempt(TimePoint now, std::uint64_t random) {
  if (!series_) dropped(now);
  if (now >= deadline_) return std::nullopt;
  const auto base = std::max<Duration::rep>(config_.first_delay.count(), 1);
  const auto cap = std::max<Duration::rep>(config_.max_delay.count(), base);
  const unsigned shift = std::min(attempts_, 20u);
  const auto ceiling = std::min<Duration::rep>(cap, base << shift);
  const auto half = ceiling / 2;
  const auto jitter = static_cast<Duration::rep>(random % static_cast<std::uint64_t>(ceiling - half + 1));
  ++attempts_;
  return std::min(now + Duration(half + jitter), deadline_);
}

void ReconnectPolicy::succeeded() {
  series_ = false;
  attempts_ = 0;
}

}  // namespace sshrelay
