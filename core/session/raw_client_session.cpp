#include "core/session/raw_client_session.hpp"

#include <algorithm>

#include "core/wire/close_code.hpp"
#include "core/wire/raw_relay_request.hpp"

namespace sshrelay {

RawClientSession::RawClientSession(RawClientSessionConfig config) : config_(std::move(config)) {
  config_.max_message = std::max<std::size_t>(config_.max_message, 1);
}

void RawClientSession::start(TimePoint) {
  if (started_ || ending_.decided()) return;
  started_ = true;
  opening_ = true;
  pending_open_ = OpenTransport{raw::relay_request_target(config_.path_prefix, config_.host, config_.port), false,
                                false, 0};
}

void RawClientSession::stop(TimePoint) {
  finish({ClientEnd::stopped, 0, {}, 0, "the session was stopped"},
        SendClose{close_code::normal, "client stopped"});
}

void RawClientSession::on_open_succeeded(TimePoint) {
  if (ending_.decided() || !opening_) return;
  opening_ = false;
  transport_open_ = true;
  ending_.report(RelayConnected{});
}

void RawClientSession::on_open_failed(const OpenFailure& failure, TimePoint) {
  if (ending_.decided() || !opening_) return;
  opening_ = false;
  finish(first_open_failed(failure));
}

void RawClientSession::on_credentials_unavailable(const std::string& why, TimePoint) {
  if (ending_.decided() || !opening_) return;
  opening_ = false;
  finish({ClientEnd::credentials_unavailable, 0, {}, 0, why});
}

std::optional<std::span<const std::uint8_t>> RawClientSession::on_relay_message(std::span<const std::uint8_t> message,
                                                                                bool binary, TimePoint) {
  if (ending_.decided() || !transport_open_) return std::nullopt;
  if (!binary) {
    finish({ClientEnd::protocol_error, 0, {}, 0, "the relay sent a text message"},
        SendClose{close_code::unsupported_data, "binary messages only"});
    return std::nullopt;
  }
  bytes_received_ += message.size();
  if (message.empty()) return std::nullopt;
  return message;
}

void RawClientSession::on_relay_closed(std::uint16_t code, const std::string& reason, TimePoint) {
  if (ending_.decided() || !transport_open_) return;
  transport_open_ = false;
  finish({ClientEnd::closed_by_relay, code, reason, 0, {}});
}

void RawClientSession::on_transport_lost(const std::string& why, TimePoint) {
  if (ending_.decided() || !transport_open_) return;
  transport_open_ = false;
  finish({ClientEnd::transport_lost, 0, {}, 0, why + " (a /relay session cannot be resumed)"});
}

bool RawClientSession::can_accept_local() const { return !ending_.decided() && queued_ < config_.queue_cap; }

Status RawClientSession::on_local_data(std::span<const std::uint8_t> bytes, TimePoint) {
  if (ending_.decided()) return local_error("the session has ended");
  while (!bytes.empty()) {
    const auto chunk = bytes.first(std::min(bytes.size(), config_.max_message));
    queue_.push_back(std::make_shared<const std::vector<std::uint8_t>>(chunk.begin(), chunk.end()));
    queued_ += chunk.size();
    bytes = bytes.subspan(chunk.size());
  }
  return Ok{};
}

void RawClientSession::on_delivered(std::size_t, TimePoint) {}

void RawClientSession::on_local_failed(const std::string& why, TimePoint) {
  finish({ClientEnd::local_closed, 0, {}, 0, why},
        SendClose{close_code::normal, "client's local side closed"});
}

std::optional<OpenTransport> RawClientSession::take_open() {
  auto open = std::move(pending_open_);
  pending_open_.reset();
  return open;
}

std::optional<FrameBytes> RawClientSession::next_relay_message(TimePoint) {
  if (ending_.decided() || !transport_open_ || queue_.empty()) return std::nullopt;
  auto message = std::move(queue_.front());
  queue_.pop_front();
  queued_ -= message->size();
  bytes_sent_ += message->size();
  return message;
}

void RawClientSession::finish(ClientOutcome outcome, std::optional<SendClose> close) {
  if (!ending_.decide(std::move(outcome), transport_open_ ? std::move(close) : std::nullopt)) return;
  pending_open_.reset();
  opening_ = false;
  queue_.clear();
  queued_ = 0;
}

}  // namespace sshrelay
