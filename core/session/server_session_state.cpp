#include "core/session/server_session_state.hpp"

#include "core/wire/close_code.hpp"

namespace sshrelay {

void ServerSessionState::attach(TimePoint now) {
  attached_ = true;
  ping_due_ = false;
  liveness_.start(now);
}

void ServerSessionState::detach(std::string why) {
  attached_ = false;
  ping_due_ = false;
  close_owed_ = false;
  liveness_.stop();
  events_.push_back(TransportLost{std::move(why)});
}

std::optional<ClientOutput> ServerSessionState::take_control_output() {
  if (!attached_) return std::nullopt;
  if (end_) {
    if (!close_owed_) return std::nullopt;
    close_owed_ = false;
    return ClientOutput{*end_};
  }
  if (ping_due_) {
    ping_due_ = false;
    return ClientOutput{SendPing{}};
  }
  return std::nullopt;
}

std::optional<std::string> ServerSessionState::check_liveness(TimePoint now) {
  switch (liveness_.check(now)) {
    case Liveness::Verdict::alive:
      return std::nullopt;
    case Liveness::Verdict::ping:
      ping_due_ = true;
      return std::nullopt;
    case Liveness::Verdict::dead:
      break;
  }
  return "no answer to a ping within " + std::to_string(liveness_.interval().count() / 1000) + " s";
}

void ServerSessionState::target_eof(const std::string& reason) {
  if (target_eof_) return;
  target_eof_ = true;
  target_eof_reason_ = reason;
}

void ServerSessionState::end(std::uint16_t code, std::string reason) {
  if (end_) return;
  end_ = SendClose{code, close_reason_text(reason)};
  close_owed_ = attached_;
  ping_due_ = false;
  liveness_.stop();
  events_.push_back(SessionEnded{code, std::move(reason)});
}

void ServerSessionState::client_closed(std::uint16_t code) {
  if (end_) return;
  end(close_code::normal, code == close_code::client_ended ? std::string("client ended the session")
                                                            : "client closed (" + std::to_string(code) + ")");
  close_owed_ = false;
}

}  // namespace sshrelay
