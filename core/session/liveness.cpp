#include "core/session/liveness.hpp"

namespace sshrelay {

void Liveness::start(TimePoint now) {
  running_ = true;
  heard_ = true;
  ping_unanswered_ = false;
  deadline_ = now + interval_;
}

Liveness::Verdict Liveness::check(TimePoint now) {
  // Catch up after a clock jump or a late timer: the next check is a whole interval after this one.
  deadline_ = now + interval_;
  if (heard_) {
    heard_ = false;
    ping_unanswered_ = false;
    return Verdict::alive;
  }
  if (ping_unanswered_) return Verdict::dead;
  ping_unanswered_ = true;
  return Verdict::ping;
}

}  // namespace sshrelay
