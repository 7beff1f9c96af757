#include "core/session/raw_relay_session.hpp"

#include <algorithm>

#include "core/wire/close_code.hpp"

namespace sshrelay {

RawRelaySession::RawRelaySession(RawRelaySessionConfig config) : config_(config), state_(config.ping_interval) {
  config_.max_message = std::max<std::size_t>(config_.max_message, 1);
}

Status RawRelaySession::attach(std::optional<std::uint64_t> resume_ack, TimePoint now) {
  if (resume_ack) return check_reconnect(*resume_ack);
  if (state_.ended()) return local_error("session has ended");
  if (state_.attached()) return local_error("a /relay session has one socket");
  state_.attach(now);
  return Ok{};
}

std::optional<std::span<const std::uint8_t>> RawRelaySession::on_client_message(std::span<const std::uint8_t> message,
                                                                                bool binary, TimePoint) {
  if (!state_.open_for_data()) return std::nullopt;
  state_.heard();
  if (!binary) {
    end(close_code::unsupported_data, "this endpoint carries binary messages only");
    return std::nullopt;
  }
  if (message.empty()) return std::nullopt;
  return message;
}

void RawRelaySession::on_client_closed(std::uint16_t code, TimePoint) {
  state_.client_closed(code);
  pending_.clear();
}

// No resume: a lost socket ends the session.
void RawRelaySession::on_transport_lost(const std::string& why, TimePoint) {
  if (!state_.open_for_data()) return;
  state_.detach(why);
  end(close_code::normal, "connection lost: " + why);
}

void RawRelaySession::on_client_written(TimePoint) {
  if (in_flight_.empty()) return;
  queued_ -= in_flight_.front();
  bytes_down_ += in_flight_.front();
  in_flight_.pop_front();
}

bool RawRelaySession::wants_target_data() const {
  return !state_.ended() && !state_.target_eof() && queued_ < config_.queue_cap;
}

std::size_t RawRelaySession::target_read_room() const {
  return queued_ < config_.queue_cap ? config_.queue_cap - queued_ : 0;
}

void RawRelaySession::on_target_data(std::span<const std::uint8_t> bytes, TimePoint) {
  if (state_.ended()) return;
  while (!bytes.empty()) {
    const auto chunk = bytes.first(std::min(bytes.size(), config_.max_message));
    pending_.push_back(std::make_shared<const std::vector<std::uint8_t>>(chunk.begin(), chunk.end()));
    queued_ += chunk.size();
    bytes = bytes.subspan(chunk.size());
  }
}

void RawRelaySession::on_target_eof(const std::string& reason, TimePoint) {
  if (!state_.ended()) state_.target_eof(reason);
}

void RawRelaySession::on_target_written(std::size_t n, bool, TimePoint) { bytes_up_ += n; }

void RawRelaySession::on_target_failed(const std::string& why, TimePoint) {
  end(close_code::internal_error, "target connection lost: " + why);
}

void RawRelaySession::shutdown(std::uint16_t code, const std::string& reason, TimePoint) { end(code, reason); }

void RawRelaySession::end(std::uint16_t code, std::string reason) {
  if (state_.ended()) return;
  state_.end(code, std::move(reason));
  pending_.clear();
}

std::optional<ClientOutput> RawRelaySession::next_client_output(TimePoint now) {
  if (auto control = state_.take_control_output()) return control;
  if (!state_.open_for_data()) return std::nullopt;
  if (!pending_.empty()) {
    auto message = std::move(pending_.front());
    pending_.pop_front();
    in_flight_.push_back(message->size());
    return ClientOutput{SendMessage{std::move(message)}};
  }
  if (state_.target_eof() && in_flight_.empty()) {
    end(close_code::normal, state_.target_eof_reason());
    return next_client_output(now);
  }
  return std::nullopt;
}

std::optional<TimePoint> RawRelaySession::next_deadline() const {
  if (!state_.open_for_data()) return std::nullopt;
  return state_.liveness_deadline();
}

void RawRelaySession::on_timeout(TimePoint now) {
  if (!state_.open_for_data() || now < state_.liveness_deadline()) return;
  if (auto dead = state_.check_liveness(now)) on_transport_lost(*dead, now);
}

}  // namespace sshrelay
