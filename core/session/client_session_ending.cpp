#include "core/session/client_session_ending.hpp"

#include "core/wire/close_code.hpp"

namespace sshrelay {

bool ClientSessionEnding::decide(ClientOutcome outcome, std::optional<SendClose> close) {
  if (outcome_) return false;
  outcome_ = std::move(outcome);
  if (close) close_ = SendClose{close->code, close_reason_text(close->reason)};
  return true;
}

std::optional<SendClose> ClientSessionEnding::take_close() {
  auto close = std::move(close_);
  close_.reset();
  return close;
}

}  // namespace sshrelay
