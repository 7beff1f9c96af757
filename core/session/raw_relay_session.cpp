#include "core/session/raw_relay_session.hpp"

#include <algorithm>

#include "core/wire/close_code.hpp"

namespace sshrelay {

RawRelaySession::RawRelaySession(RawRelaySessionConfig config)
    : config_(config), liveness_(config.ping_interval) {
  config_.max_message = std::max<std::size_t>(config_.max_message, 1);
}

Status RawRelaySession::attach(std::optional<std::uint64_t> resume_ack, TimePoint now) {
  if (resume_ack) return check_reconnect(*resume_ack);
  if (end_) return local_error("session has ended");
  if (attached_) return local_error("a /relay session has one socket");
  attached_ = true;
  liveness_.start(now);
  return Ok{};
}

std::optional<std::span<const std::uint8_t>> RawRelaySession::on_client_message(std::span<const std::uint8_t> message,
                                                                                bool binary, TimePoint) {
  if (end_ || !attached_) return std::nullopt;
  liveness_.heard();
  if (!binary) {
    end(close_code::unsupported_data, "this endpoint carries binary messages only");
    return std::nullopt;
  }
  if (message.empty()) return std::nullopt;
  return message;
}

void RawRelaySession::on_client_closed(std::uint16_t code, TimePoint) {
  if (end_) return;
  end(close_code::normal, "client closed (" + std::to_string(code) + ")");
  close_owed_ = false;
}

void RawRelaySession::on_pong(TimePoint) { liveness_.heard(); }

void RawRelaySession::on_transport_lost(const std::string& why, TimePoint) {
  if (end_ || !attached_) return;
  attached_ = false;
  events_.push_back(TransportLost{why});
  end(close_code::normal, "connection lost: " + why);
}

void RawRelaySession::on_client_written(TimePoint) {
  if (in_flight_.empty()) return;
  queued_ -= in_flight_.front();
  bytes_down_ += in_flight_.front();
  in_flight_.pop_front();
}

bool RawRelaySession::wants_target_data() const { return !end_ && !target_eof_ && queued_ < config_.queue_cap; }

std::size_t RawRelaySession::target_read_room() const {
  return queued_ < config_.queue_cap ? config_.queue_cap - queued_ : 0;
}

void RawRelaySession::on_target_data(std::span<const std::uint8_t> bytes, TimePoint) {
  if (end_) return;
  while (!bytes.empty()) {
    const auto chunk = bytes.first(std::min(bytes.size(), config_.max_message));
    pending_.push_back(std::make_shared<const std::vector<std::uint8_t>>(chunk.begin(), chunk.end()));
    queued_ += chunk.size();
    bytes = bytes.subspan(chunk.size());
  }
}

void RawRelaySession::on_target_eof(const std::string& reason, TimePoint) {
  if (end_ || target_eof_) return;
  target_eof_ = true;
  target_eof_reason_ = reason;
}

void RawRelaySession::on_target_written(std::size_t n, bool, TimePoint) { bytes_up_ += n; }

void RawRelaySession::on_target_failed(const std::string& why, TimePoint) {
  if (end_) return;
  end(close_code::internal_error, "target connection lost: " + why);
}

void RawRelaySession::shutdown(std::uint16_t code, const std::string& reason, TimePoint) {
  if (end_) return;
  end(code, reason);
}

void RawRelaySession::end(std::uint16_t code, std::string reason) {
  end_ = SendClose{code, close_reason_text(reason)};
  close_owed_ = attached_;
  ping_due_ = false;
  liveness_.stop();
  pending_.clear();
  events_.push_back(SessionEnded{code, std::move(reason)});
}

std::optional<ClientOutput> RawRelaySession::next_client_output(TimePoint now) {
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
  if (!pending_.empty()) {
    auto message = std::move(pending_.front());
    pending_.pop_front();
    in_flight_.push_back(message->size());
    return ClientOutput{SendMessage{std::move(message)}};
  }
  if (target_eof_ && in_flight_.empty()) {
    end(close_code::normal, target_eof_reason_);
    return next_client_output(now);
  }
  return std::nullopt;
}

std::optional<SessionEvent> RawRelaySession::next_event() {
  if (events_.empty()) return std::nullopt;
  auto event = std::move(events_.front());
  events_.pop_front();
  return event;
}

std::optional<TimePoint> RawRelaySession::next_deadline() const {
  if (end_ || !attached_) return std::nullopt;
  return liveness_.deadline();
}

void RawRelaySession::on_timeout(TimePoint now) {
  if (end_ || !attached_ || now < liveness_.deadline()) return;
  switch (liveness_.check(now)) {
    case Liveness::Verdict::alive:
      break;
    case Liveness::Verdict::ping:
      ping_due_ = true;
      break;
    case Liveness::Verdict::dead:
      on_transport_lost("no answer to a ping within " + std::to_string(config_.ping_interval.count() / 1000) + " s", now);
      break;
  }
}

}  // namespace sshrelay
