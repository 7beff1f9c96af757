#pragma once
// What every relay-side session machine (V4ServerSession, RawRelaySession) keeps the same way, whatever
// its protocol: whether a client socket is attached, that socket's liveness pings, the target's EOF,
// the session's ending (decided once, with its close frame owed to an attached socket) and the events
// for the driver. The machines own their data rules; this is the part where they must not differ.
#include <cstdint>
#include <optional>
#include <string>

#include "core/common/fifo.hpp"
#include "core/common/take_front.hpp"
#include "core/common/time.hpp"
#include "core/session/liveness.hpp"
#include "core/session/server_output.hpp"

namespace sshrelay {

class ServerSessionState {
 public:
  explicit ServerSessionState(Duration ping_interval) : liveness_(ping_interval) {}

  // --- the client's socket ---
  void attach(TimePoint now);
  // The socket is gone: no pings, no close frame for it; the event tells the driver to drop it.
  void detach(std::string why);
  bool attached() const { return attached_; }
  void heard() { liveness_.heard(); }  // anything arrived on the attached socket
  // The close frame once the session ended (once), else a due ping; nothing while detached.
  std::optional<ClientOutput> take_control_output();
  bool has_control_output() const { return ping_due_ || close_owed_; }
  // Data may go to the client: attached, not ended.
  bool open_for_data() const { return attached_ && !end_; }
  void ask_ping() { ping_due_ = true; }
  // At or after liveness_deadline() while attached: schedules a ping, or returns why the peer counts as
  // dead (the caller decides what a dead transport means for its session).
  std::optional<std::string> check_liveness(TimePoint now);
  TimePoint liveness_deadline() const { return liveness_.deadline(); }

  // --- the target ---
  void target_eof(const std::string& reason);
  bool target_eof() const { return target_eof_; }
  const std::string& target_eof_reason() const { return target_eof_reason_; }

  // --- the ending ---
  // Decides the ending (first call wins; later calls are ignored) and owes the close frame to an
  // attached socket.
  void end(std::uint16_t code, std::string reason);
  // The client closed cleanly: the session ends, and the WebSocket library has answered the close.
  void client_closed(std::uint16_t code);
  bool ended() const { return end_.has_value(); }
  const std::optional<SendClose>& ending() const { return end_; }

  // --- events for the driver ---
  std::optional<SessionEvent> next_event() { return take_front(events_); }

 private:
  Liveness liveness_;
  bool attached_ = false;
  bool ping_due_ = false;
  bool target_eof_ = false;
  std::string target_eof_reason_;
  std::optional<SendClose> end_;
  bool close_owed_ = false;
  Fifo<SessionEvent> events_;
};

}  // namespace sshrelay
