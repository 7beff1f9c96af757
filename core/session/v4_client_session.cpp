#include "core/session/v4_client_session.hpp"

#include "core/rendezvous/rendezvous_api.hpp"

#include <algorithm>

#include "core/wire/close_code.hpp"
#include "core/wire/v4_frame.hpp"
#include "core/wire/v4_url.hpp"

namespace sshrelay {
namespace {

// 4xx says "you may not" (auth, origin, unknown route): retrying will not help. 408 and 429 are
// transient, and 5xx is what proxies answer while the relay restarts.
bool final_status(unsigned status) { return status >= 400 && status < 500 && status != 408 && status != 429; }

}  // namespace

V4ClientSession::V4ClientSession(V4ClientSessionConfig config)
    : config_(std::move(config)),
      stream_(Role::client, config_.replay_cap),
      policy_(config_.reconnect),
      random_state_(config_.seed ^ 0x9e3779b97f4a7c15ull) {}

std::uint64_t V4ClientSession::next_random() {
  // splitmix64: only jitter, seeded by the driver from a CSPRNG.
  std::uint64_t z = (random_state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void V4ClientSession::start(TimePoint now) {
  if (started_ || ending_.decided()) return;
  started_ = true;
  request_open(false, false, now);
}

void V4ClientSession::stop(TimePoint) {
  if (ending_.decided()) return;
  finish({ClientEnd::stopped, 0, {}, 0, "the session was stopped"},
        SendClose{close_code::client_ended, "client stopped"});
}

void V4ClientSession::request_open(bool reconnect, bool credentials_refused, TimePoint now) {
  hello_deadline_ = now + config_.hello_timeout;
  OpenTransport open;
  open.reconnect = reconnect;
  open.credentials_refused = credentials_refused;
  open.attempt = reconnect ? policy_.attempts() : 0;
  if (!config_.rendezvous_id.empty()) {
    open.request_target =
        reconnect ? rendezvous::leg_resume_target(config_.path_prefix, config_.rendezvous_id, config_.rendezvous_token,
                                                  session_id_, stream_.bytes_received())
                  : rendezvous::leg_connect_target(config_.path_prefix, config_.rendezvous_id, config_.rendezvous_token);
  } else {
    open.request_target =
        reconnect ? v4::reconnect_request_target(config_.path_prefix, session_id_, stream_.bytes_received(), config_.pack_frames)
                  : v4::connect_request_target(config_.path_prefix, config_.host, config_.port, config_.user, config_.pack_frames);
  }
  pending_open_ = std::move(open);
  opening_ = true;
  opening_reconnect_ = reconnect;
}

std::optional<OpenTransport> V4ClientSession::take_open() {
  auto open = std::move(pending_open_);
  pending_open_.reset();
  return open;
}

void V4ClientSession::on_open_succeeded(TimePoint) {
  if (ending_.decided() || !opening_) return;
  opening_ = false;
  transport_open_ = true;
  awaiting_hello_ = true;
  if (opening_reconnect_) {
    if (auto ok = stream_.resume_client(); !ok) {
      finish({ClientEnd::protocol_error, 0, {}, 0, ok.error().message},
        SendClose{close_code::protocol_error, ok.error().message});
    }
  }
}

void V4ClientSession::on_open_failed(const OpenFailure& failure, TimePoint now) {
  if (ending_.decided() || !opening_) return;
  opening_ = false;
  const std::string detail = describe(failure);
  if ((failure.http_status == 401 || failure.http_status == 403) && retry_credentials(now)) return;
  if (!opening_reconnect_) {
    return finish(first_open_failed(failure));
  }
  if (failure.fatal || final_status(failure.http_status)) {
    return finish({ClientEnd::refused, 0, {}, failure.http_status, detail});
  }
  schedule_attempt(detail, now);
}

void V4ClientSession::on_credentials_unavailable(const std::string& why, TimePoint now) {
  if (ending_.decided() || !opening_) return;
  opening_ = false;
  if (!opening_reconnect_) return finish({ClientEnd::credentials_unavailable, 0, {}, 0, why});
  schedule_attempt("credentials: " + why, now);
}

bool V4ClientSession::retry_credentials(TimePoint now) {
  if (!config_.refreshable_credentials || credentials_retried_) return false;
  credentials_retried_ = true;
  ending_.report(CredentialsRetry{});
  request_open(!session_id_.empty(), true, now);
  return true;
}

void V4ClientSession::schedule_attempt(const std::string& last_error, TimePoint now) {
  last_error_ = last_error;
  hello_deadline_.reset();
  // Credentials refused again after something else failed in between (a long outage outlives tokens)
  // deserve a fresh retry; refused twice in a row, they are final.
  credentials_retried_ = false;
  const bool after_failure = policy_.attempts() > 0;
  const auto at = policy_.next_attempt(now, next_random());
  if (!at) {
    const auto spent = std::chrono::duration_cast<Duration>(now - policy_.dropped_at());
    return finish({ClientEnd::gave_up, 0, {}, 0,
                   "gave up after " + std::to_string(policy_.attempts()) + " attempts in " +
                       std::to_string(spent.count()) + " ms; last error: " + last_error});
  }
  attempt_at_ = at;
  if (after_failure) {
    ending_.report(AttemptFailed{policy_.attempts() - 1, last_error, std::chrono::duration_cast<Duration>(*at - now)});
  }
}

std::optional<std::span<const std::uint8_t>> V4ClientSession::on_relay_message(std::span<const std::uint8_t> message,
                                                                               bool binary, TimePoint now) {
  if (ending_.decided() || !transport_open_) return std::nullopt;
  if (!binary) {
    finish({ClientEnd::protocol_error, 0, {}, 0, "the relay sent a text message"},
        SendClose{close_code::protocol_error, "text message"});
    return std::nullopt;
  }
  if (!config_.pack_frames) return on_relay_frame(message, now);
  // Frames in order; the payloads of several DATA frames are joined, so the driver delivers one span.
  std::optional<std::span<const std::uint8_t>> payload;
  std::size_t payloads = 0;
  do {
    auto size = v4::leading_frame_size(message);
    if (!size) {
      finish({ClientEnd::protocol_error, 0, {}, 0, size.error().message}, SendClose{close_code::protocol_error, size.error().message});
      return std::nullopt;
    }
    auto bytes = on_relay_frame(message.first(*size), now);
    if (ending_.decided()) return std::nullopt;
    message = message.subspan(*size);
    if (!bytes) continue;
    if (++payloads == 1) {
      payload = bytes;
      continue;
    }
    if (payloads == 2) packed_payload_.assign(payload->begin(), payload->end());
    packed_payload_.insert(packed_payload_.end(), bytes->begin(), bytes->end());
    payload = std::span<const std::uint8_t>(packed_payload_);
  } while (!message.empty());
  return payload;
}

std::optional<std::span<const std::uint8_t>> V4ClientSession::on_relay_frame(std::span<const std::uint8_t> message,
                                                                             TimePoint now) {
  auto event = stream_.receive(message);
  if (!event) {
    finish({ClientEnd::protocol_error, 0, {}, 0, event.error().message},
        SendClose{close_code::protocol_error, event.error().message});
    return std::nullopt;
  }
  if (auto* payload = std::get_if<PayloadReceived>(&*event)) return payload->bytes;
  if (auto* connected = std::get_if<Connected>(&*event)) {
    session_id_ = connected->session_id;
    awaiting_hello_ = false;
    hello_deadline_.reset();
    credentials_retried_ = false;
    ending_.report(RelayConnected{session_id_});
  } else if (auto* resumed = std::get_if<Resumed>(&*event)) {
    awaiting_hello_ = false;
    hello_deadline_.reset();
    credentials_retried_ = false;
    ++reconnects_;
    ending_.report(RelayResumed{resumed->peer_received, stream_.bytes_queued() - resumed->peer_received,
                                   std::chrono::duration_cast<Duration>(now - policy_.dropped_at())});
    policy_.succeeded();
  }
  end_if_local_done();  // an ACK may have acknowledged the last byte
  return std::nullopt;
}

void V4ClientSession::on_local_eof(TimePoint) {
  local_eof_ = true;
  end_if_local_done();
}

void V4ClientSession::end_if_local_done() {
  if (!config_.end_on_local_eof || !local_eof_ || ending_.decided() || stream_.unacked() > 0) return;
  if (session_id_.empty() || awaiting_hello_) return;  // not connected yet: its bytes are not acknowledged
  finish({ClientEnd::local_closed, 0, {}, 0, "local EOF"}, SendClose{close_code::client_ended, "the local side closed"});
}

void V4ClientSession::on_relay_closed(std::uint16_t code, const std::string& reason, TimePoint now) {
  if (ending_.decided() || !transport_open_) return;
  transport_open_ = false;
  // 4401 (identity missing or invalid) in answer to a connect or reconnect: fresh credentials may do.
  if (code == close_code::identity_invalid && awaiting_hello_) {
    if (!session_id_.empty()) stream_.detach();
    if (retry_credentials(now)) return;
  }
  finish({ClientEnd::closed_by_relay, code, reason, 0, {}});
}

void V4ClientSession::on_transport_lost(const std::string& why, TimePoint now) {
  if (ending_.decided() || !transport_open_) return;
  transport_open_ = false;
  awaiting_hello_ = false;
  if (session_id_.empty()) return finish({ClientEnd::lost_before_connect, 0, {}, 0, why});
  stream_.detach();
  if (!policy_.in_series()) {
    policy_.dropped(now);
    ending_.report(TransportDropped{why, stream_.bytes_received()});
  }
  schedule_attempt(why, now);
}

bool V4ClientSession::can_accept_local() const { return !ending_.decided() && stream_.can_send(); }

Status V4ClientSession::on_local_data(std::span<const std::uint8_t> bytes, TimePoint) {
  if (ending_.decided()) return local_error("the session has ended");
  return stream_.send(bytes);
}

void V4ClientSession::on_delivered(std::size_t n, TimePoint now) {
  if (ending_.decided()) return;
  (void)stream_.delivered(n);  // the driver delivers what on_relay_message returned: it cannot exceed it
  if (config_.ack_batch == 0) return;
  if (stream_.bytes_delivered() - ack_flushed_at_ >= config_.ack_batch) {
    ack_flushed_at_ = stream_.bytes_delivered();
    ack_deadline_.reset();
    stream_.hold_acks(false);
    return;
  }
  stream_.hold_acks(true);
  if (!ack_deadline_) ack_deadline_ = now + config_.ack_delay;
}

void V4ClientSession::on_local_failed(const std::string& why, TimePoint) {
  if (ending_.decided()) return;
  finish({ClientEnd::local_closed, 0, {}, 0, why},
        SendClose{close_code::client_ended, "client's local side closed"});
}

std::optional<FrameBytes> V4ClientSession::next_relay_message(TimePoint) {
  if (ending_.decided() || !transport_open_) return std::nullopt;
  // With refreshable credentials a first connect may be refused and retried on a new socket: early
  // bytes stay queued until the relay has accepted this one.
  if (config_.refreshable_credentials && session_id_.empty()) return std::nullopt;
  auto message = stream_.next_message();
  if (!message) {
    if (const Error* error = stream_.error()) {
      finish({ClientEnd::protocol_error, 0, {}, 0, error->message},
        SendClose{close_code::protocol_error, error->message});
    }
    return std::nullopt;
  }
  return message;
}

std::optional<TimePoint> V4ClientSession::next_deadline() const {
  if (ending_.decided()) return std::nullopt;
  std::optional<TimePoint> deadline = attempt_at_;
  for (const auto& other : {ack_deadline_, hello_deadline_}) {
    if (other && (!deadline || *other < *deadline)) deadline = other;
  }
  return deadline;
}

bool V4ClientSession::take_abandon() {
  const bool abandon = abandon_;
  abandon_ = false;
  return abandon;
}

void V4ClientSession::on_timeout(TimePoint now) {
  if (ending_.decided()) return;
  if (ack_deadline_ && now >= *ack_deadline_) {
    ack_deadline_.reset();
    ack_flushed_at_ = stream_.bytes_delivered();
    stream_.hold_acks(false);
  }
  if (hello_deadline_ && now >= *hello_deadline_ && (opening_ || awaiting_hello_)) {
    hello_deadline_.reset();
    abandon_ = true;
    const std::string why = "no answer from the relay within " + std::to_string(config_.hello_timeout.count() / 1000) + " s";
    if (opening_) {
      on_open_failed({0, false, why}, now);
    } else {
      on_transport_lost(why, now);
    }
  }
  if (attempt_at_ && now >= *attempt_at_) {
    attempt_at_.reset();
    request_open(true, false, now);
  }
}

void V4ClientSession::finish(ClientOutcome outcome, std::optional<SendClose> close) {
  if (!ending_.decide(std::move(outcome), transport_open_ ? std::move(close) : std::nullopt)) return;
  attempt_at_.reset();
  ack_deadline_.reset();
  hello_deadline_.reset();
  pending_open_.reset();
  opening_ = false;
}

}  // namespace sshrelay
