#pragma once
// Whether the peer on a WebSocket is still there. Checked once per interval, not per message: a quiet
// interval earns a ping, a second quiet one with the ping unanswered declares the transport dead. The
// ping also keeps proxies (nginx 60 s, Cloudflare ~100 s) from cutting a quiet socket. Time is passed in.
#include "core/common/time.hpp"

namespace sshrelay {

class Liveness {
 public:
  explicit Liveness(Duration interval) : interval_(interval) {}

  enum class Verdict { alive, ping, dead };

  // A transport attached at `now`: it counts as heard from.
  void start(TimePoint now);
  void stop() { running_ = false; }
  bool running() const { return running_; }
  // Anything arrived from the peer (a message or a pong).
  void heard() { heard_ = true; }
  // The next check, while running.
  TimePoint deadline() const { return deadline_; }
  Duration interval() const { return interval_; }
  // At or after deadline(): what the interval that just ended says, and the next check is scheduled.
  Verdict check(TimePoint now);

 private:
  Duration interval_;
  TimePoint deadline_{};
  bool running_ = false;
  bool heard_ = false;
  bool ping_unanswered_ = false;
};

}  // namespace sshrelay
