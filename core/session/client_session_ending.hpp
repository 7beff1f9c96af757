#pragma once
// How a client session machine ends, the same for every relay shape: the outcome decided once, the
// close frame owed to the open transport (taken once by the driver), and the progress events for the
// driver's log and the page's status line.
#include <optional>

#include "core/common/fifo.hpp"
#include "core/common/take_front.hpp"
#include "core/session/client_session_types.hpp"
#include "core/session/server_output.hpp"

namespace sshrelay {

class ClientSessionEnding {
 public:
  bool decided() const { return outcome_.has_value(); }
  const std::optional<ClientOutcome>& outcome() const { return outcome_; }
  // Decides the outcome; `close`, when given, is owed to the open transport (its reason is made a
  // valid close reason). The first call wins: returns whether this one decided.
  bool decide(ClientOutcome outcome, std::optional<SendClose> close);
  std::optional<SendClose> take_close();

  void report(ClientEvent event) { events_.push_back(std::move(event)); }
  std::optional<ClientEvent> next_event() { return take_front(events_); }

 private:
  std::optional<ClientOutcome> outcome_;
  std::optional<SendClose> close_;
  Fifo<ClientEvent> events_;
};

}  // namespace sshrelay
