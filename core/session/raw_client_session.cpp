#include "core/session/raw_client_session.hpp"

#include <algorithm>

#include "core/wire/close_code.hpp"
#include "core/wire/raw_relay_request.hpp"

namespace sshrelay {

RawClientSession::RawClientSession(RawClientSessionConfig config) : config_(std::move(config)) {
  config_.max_message = std::max<std::size_t>(config_.max_message, 1);
}

void RawClientSession::start(TimePoint) {
  if (started_ || outcome_) return;
  started_ = true;
  opening_ = true;
  pending_open_ = OpenTransport{raw::relay_request_target(config_.path_prefix, config_.host, config_.port), false,
                                false, 0};
}

void RawClientSession::stop(TimePoint) {
  close_and_finish(close_code::normal, "client stopped", {ClientEnd::stopped, 0, {}, 0, "the session was stopped"});
}

void RawClientSession::on_open_succeeded(TimePoint) {
  if (outcome_ || !opening_) return;
  opening_ = false;
  transport_open_ = true;
  events_.push_back(RelayConnected{});
}

void RawClientSession::on_open_failed(const OpenFailure& failure, TimePoint) {
  if (outcome_ || !opening_) return;
  opening_ = false;
  const std::string detail = !failure.detail.empty() ? failure.detail
                             : failure.http_status   ? "the relay answered HTTP " + std::to_string(failure.http_status)
                                                     : "the relay could not be reached";
  finish({failure.http_status ? ClientEnd::refused : ClientEnd::unreachable, 0, {}, failure.http_status, detail});
}

void RawClientSession::on_credentials_unavailable(const std::string& why, TimePoint) {
  if (outcome_ || !opening_) return;
  opening_ = false;
  finish({ClientEnd::credentials_unavailable, 0, {}, 0, why});
}

std::optional<std::span<const std::uint8_t>> RawClientSession::on_relay_message(std::span<const std::uint8_t> message,
                                                                                bool binary, TimePoint) {
  if (outcome_ || !transport_open_) return std::nullopt;
  if (!binary) {
    close_and_finish(close_code::unsupported_data, "binary messages only",
                     {ClientEnd::protocol_error, 0, {}, 0, "the relay sent a text message"});
    return std::nullopt;
  }
  bytes_received_ += message.size();
  if (message.empty()) return std::nullopt;
  return message;
}

void RawClientSession::on_relay_closed(std::uint16_t code, const std::string& reason, TimePoint) {
  if (outcome_ || !transport_open_) return;
  transport_open_ = false;
  finish({ClientEnd::closed_by_relay, code, reason, 0, {}});
}

void RawClientSession::on_transport_lost(const std::string& why, TimePoint) {
  if (outcome_ || !transport_open_) return;
  transport_open_ = false;
  finish({ClientEnd::transport_lost, 0, {}, 0, why + " (a /relay session cannot be resumed)"});
}

bool RawClientSession::can_accept_local() const { return !outcome_ && queued_ < config_.queue_cap; }

Status RawClientSession::on_local_data(std::span<const std::uint8_t> bytes, TimePoint) {
  if (outcome_) return local_error("the session has ended");
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
  close_and_finish(close_code::normal, "client's local side closed", {ClientEnd::local_closed, 0, {}, 0, why});
}

std::optional<OpenTransport> RawClientSession::take_open() {
  auto open = std::move(pending_open_);
  pending_open_.reset();
  return open;
}

std::optional<FrameBytes> RawClientSession::next_relay_message(TimePoint) {
  if (outcome_ || !transport_open_ || queue_.empty()) return std::nullopt;
  auto message = std::move(queue_.front());
  queue_.pop_front();
  queued_ -= message->size();
  bytes_sent_ += message->size();
  return message;
}

std::optional<SendClose> RawClientSession::take_close() {
  auto close = std::move(close_);
  close_.reset();
  return close;
}

std::optional<ClientEvent> RawClientSession::next_event() {
  if (events_.empty()) return std::nullopt;
  auto event = std::move(events_.front());
  events_.pop_front();
  return event;
}

void RawClientSession::close_and_finish(std::uint16_t code, const std::string& reason, ClientOutcome outcome) {
  if (outcome_) return;
  if (transport_open_) close_ = SendClose{code, close_reason_text(reason)};
  finish(std::move(outcome));
}

void RawClientSession::finish(ClientOutcome outcome) {
  if (outcome_) return;
  outcome_ = std::move(outcome);
  pending_open_.reset();
  opening_ = false;
  queue_.clear();
  queued_ = 0;
}

}  // namespace sshrelay
