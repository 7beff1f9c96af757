#pragma once
// When a client tries again after its transport to the relay dropped: ONE policy for the CLI, the wasm
// client and the page. Bounded exponential backoff with "equal jitter" (half of each wait fixed, half
// random, so clients that dropped together spread out but never retry at once), until a deadline —
// the relay's grace period, by default — at which one last attempt is made rather than none.
// Randomness and time are passed in.
#include <cstdint>
#include <optional>

#include "core/common/time.hpp"

namespace sshrelay {

struct ReconnectPolicyConfig {
  Duration first_delay{100};   // the ceiling of the first wait; doubles per attempt
  Duration max_delay{2000};    // the ceiling never grows past this
  Duration budget{120000};     // from the drop to the last attempt (the relay's --grace-seconds)
};

class ReconnectPolicy {
 public:
  explicit ReconnectPolicy(ReconnectPolicyConfig config) : config_(config) {}

  // The transport dropped at `now`: a series of attempts begins (a drop during a series continues it).
  void dropped(TimePoint now);
  // When to make the next attempt, given 64 random bits; nullopt when the budget is spent.
  std::optional<TimePoint> next_attempt(TimePoint now, std::uint64_t random);
  // An attempt got through (the relay answered RECONNECT_SUCCESS): the next drop starts afresh.
  void succeeded();

  bool in_series() const { return series_; }
  unsigned attempts() const { return attempts_; }  // made (scheduled) in the current series
  TimePoint dropped_at() const { return dropped_at_; }
  TimePoint deadline() const { return deadline_; }
  const ReconnectPolicyConfig& config() const { return config_; }

 private:
  ReconnectPolicyConfig config_;
  bool series_ = false;
  unsigned attempts_ = 0;
  TimePoint dropped_at_{};
  TimePoint deadline_{};
};

}  // namespace sshrelay
