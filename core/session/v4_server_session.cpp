#include "core/session/v4_server_session.hpp"

#include "core/wire/close_code.hpp"

namespace sshrelay {

V4ServerSession::V4ServerSession(V4ServerSessionConfig config, const std::string& session_id)
    : config_(config), stream_(Role::server, config.replay_cap), state_(config.ping_interval) {
  if (auto ok = stream_.start_server(session_id); !ok) state_.end(close_code::internal_error, ok.error().message);
}

V4ServerSession::V4ServerSession(V4ServerSessionConfig config, Restoring, ResumeStream stream)
    : config_(config), stream_(std::move(stream)), state_(config.ping_interval) {}

V4ServerSession V4ServerSession::restored(V4ServerSessionConfig config, const V4ServerSnapshot& snapshot, TimePoint now) {
  V4ServerSession session(config, Restoring{}, ResumeStream::restored_server(config.replay_cap, snapshot.stream));
  session.ever_attached_ = true;
  session.ack_flushed_at_ = snapshot.ack_flushed_at;
  if (session.stream_.attached()) {
    session.state_.attach(now);
  } else {
    session.grace_deadline_ = now + config.grace;
  }
  return session;
}

Result<V4ServerSnapshot> V4ServerSession::snapshot() const {
  if (state_.ended()) return local_error("the session has ended");
  if (state_.target_eof()) return local_error("the target has closed");
  if (state_.attached() && state_.has_control_output()) return local_error("a ping or close is owed to the client");
  if (final_ack_probe_) return local_error("the client is being asked whether it is there");
  auto stream = stream_.snapshot();
  if (!stream) return stream.error();
  return V4ServerSnapshot{std::move(*stream), ack_flushed_at_};
}

Status V4ServerSession::check_reconnect(std::uint64_t client_received) const {
  if (state_.ended()) return local_error("session has ended");
  if (!ever_attached_) return local_error("session was never connected");
  return stream_.check_resume(client_received);
}

Status V4ServerSession::attach(std::optional<std::uint64_t> resume_ack, TimePoint now) {
  if (resume_ack) {
    if (auto ok = check_reconnect(*resume_ack); !ok) return ok;
    if (state_.attached()) stream_.detach();  // the superseded socket's frames in flight are resent
    if (auto ok = stream_.resume_server(*resume_ack); !ok) return ok;
  } else {
    if (state_.ended()) return local_error("session has ended");
    if (ever_attached_) return local_error("a session is connected once; later sockets reconnect");
  }
  ever_attached_ = true;
  state_.attach(now);
  grace_deadline_.reset();
  // Whatever the superseded socket held back is the new socket's to say.
  stream_.hold_acks(false);
  ack_flushed_at_ = stream_.bytes_delivered();
  return Ok{};
}

std::optional<std::span<const std::uint8_t>> V4ServerSession::on_client_message(std::span<const std::uint8_t> message,
                                                                                bool binary, TimePoint) {
  if (!state_.open_for_data()) return std::nullopt;
  state_.heard();
  if (!binary) {
    state_.end(close_code::unsupported_data, "corp-relay-v4 uses binary messages only");
    return std::nullopt;
  }
  auto event = stream_.receive(message);
  if (!event) {
    state_.end(close_code::protocol_error, event.error().message);
    return std::nullopt;
  }
  if (auto* payload = std::get_if<PayloadReceived>(&*event)) return payload->bytes;
  // An ACK (the only other thing a client sends): it also ends any upload burst, so a held ACK goes out.
  ack_flushed_at_ = stream_.bytes_delivered();
  stream_.hold_acks(false);
  return std::nullopt;
}

// Only the client's explicit end (4000, what sshrelay's own clients send) ends the session. Any other
// clean close detaches it for the grace period, as the Python relay does: a front proxy that restarts
// closes cleanly, and the session must be there to resume. (The Secure Shell extension never reconnects
// after a clean close; its session waits out the grace period, or ends sooner when the target does.)
void V4ServerSession::on_client_closed(std::uint16_t code, TimePoint now) {
  if (code == close_code::client_ended) return state_.client_closed(code);
  if (!state_.open_for_data()) return;
  detach("client closed the WebSocket (" + std::to_string(code) + ")", now);
}

void V4ServerSession::on_pong(TimePoint) {
  state_.heard();
  // The probe after the final-ACK wait came back: the client is there and simply does not ACK (the
  // bytes did reach it, the transport is alive), so the session ends. A dead transport never answers;
  // liveness detaches it and the replay after the reconnect is awaited again.
  if (final_ack_probe_) state_.end(close_code::normal, state_.target_eof_reason());
}

void V4ServerSession::on_transport_lost(const std::string& why, TimePoint now) {
  if (!state_.open_for_data()) return;
  detach(why, now);
}

void V4ServerSession::detach(std::string why, TimePoint now) {
  state_.detach(std::move(why));
  stream_.detach();
  grace_deadline_ = now + config_.grace;
  final_ack_deadline_.reset();  // the replay after a reconnect is written, then awaited, again
  final_ack_probe_ = false;
}

bool V4ServerSession::wants_target_data() const {
  return !state_.ended() && !state_.target_eof() && stream_.unacked() < config_.replay_cap;
}

std::size_t V4ServerSession::target_read_room() const {
  return stream_.unacked() < config_.replay_cap ? config_.replay_cap - stream_.unacked() : 0;
}

void V4ServerSession::on_target_data(std::span<const std::uint8_t> bytes, TimePoint) {
  if (state_.ended() || bytes.empty()) return;
  (void)stream_.send(bytes);  // fails only on a failed stream, which ended the session already
}

void V4ServerSession::on_target_frames(std::span<FrameBuffer> frames, std::size_t n, TimePoint) {
  if (state_.ended() || n == 0) return;
  if (auto sent = stream_.send_frames(frames, n); !sent) state_.end(close_code::internal_error, sent.error().message);
}

void V4ServerSession::on_target_eof(const std::string& reason, TimePoint) {
  if (!state_.ended()) state_.target_eof(reason);
}

void V4ServerSession::on_target_written(std::size_t n, bool more_waiting, TimePoint) {
  if (state_.ended()) return;
  (void)stream_.delivered(n);  // n is the payload just received: it cannot exceed it
  const bool burst = more_waiting && stream_.bytes_delivered() - ack_flushed_at_ < config_.ack_batch;
  if (!burst) ack_flushed_at_ = stream_.bytes_delivered();
  stream_.hold_acks(burst);
}

void V4ServerSession::on_target_failed(const std::string& why, TimePoint) {
  state_.end(close_code::internal_error, "target connection lost: " + why);
}

void V4ServerSession::shutdown(std::uint16_t code, const std::string& reason, TimePoint) { state_.end(code, reason); }

std::optional<ClientOutput> V4ServerSession::next_client_output(TimePoint now) {
  if (auto control = state_.take_control_output()) return control;
  if (!state_.open_for_data()) return std::nullopt;
  if (auto message = stream_.next_message()) return ClientOutput{SendMessage{std::move(*message)}};
  if (const Error* error = stream_.error()) {
    state_.end(close_code::internal_error, error->message);
    return next_client_output(now);
  }
  // Target EOF: close once the client has acknowledged every byte, not merely once they were written —
  // a drop now would lose what is in flight, and an ended session cannot replay it.
  if (state_.target_eof() && stream_.flushed() && stream_.unacked() == 0) {
    ended_cleanly_ = true;
    state_.end(close_code::normal, state_.target_eof_reason());
    return next_client_output(now);
  }
  if (state_.target_eof() && stream_.flushed() && !final_ack_deadline_ && !final_ack_probe_) {
    final_ack_deadline_ = now + config_.final_ack_wait;
  }
  return std::nullopt;
}

std::optional<TimePoint> V4ServerSession::next_deadline() const {
  if (state_.ended()) return std::nullopt;
  if (state_.attached()) {
    const TimePoint liveness = state_.liveness_deadline();
    if (final_ack_deadline_ && *final_ack_deadline_ < liveness) return final_ack_deadline_;
    return liveness;
  }
  return grace_deadline_;
}

void V4ServerSession::on_timeout(TimePoint now) {
  if (state_.ended()) return;
  if (!state_.attached()) {
    if (grace_deadline_ && now >= *grace_deadline_) state_.end(close_code::normal, std::string(kGraceExpiredReason));
    return;
  }
  if (final_ack_deadline_ && now >= *final_ack_deadline_) {
    // No final ACK: ask whether the client is still there (see on_pong). Not a clean ending either way:
    // written is not received, so no tombstone claims that everything arrived.
    final_ack_deadline_.reset();
    final_ack_probe_ = true;
    state_.ask_ping();
    return;
  }
  if (now < state_.liveness_deadline()) return;
  if (auto dead = state_.check_liveness(now)) detach(std::move(*dead), now);
}

}  // namespace sshrelay
