#include "native/client/relay_connection.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/websocket/error.hpp>
#include <algorithm>
#include <span>
#include <utility>
#include <variant>

namespace sshrelay::client {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxCloseReason = 123;  // RFC 6455: 125-byte control payload minus the code
constexpr auto kLocalLinger = std::chrono::seconds(5);

std::string clip_reason(std::string reason) {
  if (reason.size() > kMaxCloseReason) reason.resize(kMaxCloseReason);
  return reason;
}

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

RelayConnection::RelayConnection(std::unique_ptr<LocalStream> local, ConnectionOptions options)
    : strand_(local->get_executor()),
      local_(std::move(local)),
      options_(std::move(options)),
      stream_(Role::client, options_.replay_cap),
      backoff_timer_(strand_),
      linger_timer_(strand_),
      local_buffer_(std::max<std::size_t>(options_.local_read_size, 1)),
      rng_(std::random_device{}()) {}

RelayConnection::~RelayConnection() = default;

std::string RelayConnection::session_id() const {
  std::lock_guard lock(mutex_);
  return sid_;
}

std::optional<std::chrono::microseconds> RelayConnection::rtt() const {
  const auto us = rtt_us_.load();
  if (us < 0) return std::nullopt;
  return std::chrono::microseconds(us);
}

std::optional<std::pair<error_code, CloseInfo>> RelayConnection::result() const {
  std::lock_guard lock(mutex_);
  return result_;
}

void RelayConnection::log(const std::string& line) const {
  if (!options_.log) return;
  std::string sid;
  {
    std::lock_guard lock(mutex_);
    sid = sid_;
  }
  options_.log("[relay-client" + (sid.empty() ? std::string() : " sid=" + sid.substr(0, 8) + "...") + "] " + line);
}

// ---------------------------------------------------------------------------------------------- control

void RelayConnection::start(CompletionHandler handler) {
  asio::post(strand_, [self = shared_from_this(), handler = std::move(handler)]() mutable {
    if (self->started_) return;
    self->started_ = true;
    self->handler_ = std::move(handler);
    self->open_transport(false);
    self->do_local_read();  // bytes typed before CONNECT_SUCCESS are queued (design.md §2 allows early DATA)
  });
}

void RelayConnection::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->finished_ || self->closing_) return;
    self->close_relay_then_finish(websocket::close_code::normal, "client stopped", make_error_code(errc::stopped),
                                  "stop() was called");
  });
}

void RelayConnection::drop_transport() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->finished_ || self->closing_ || !self->transport_) return;
    if (self->transport_open_) return self->on_drop(asio::error::connection_reset, "drop_transport() test hook");
    self->transport_->abort();  // still opening: the open fails and is retried
  });
}

void RelayConnection::measure_rtt() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->finished_ || self->closing_ || !self->transport_open_ || self->ping_transport_) return;
    auto t = self->transport_;
    self->ping_transport_ = t;
    std::weak_ptr<RelayConnection> weak = self;
    t->async_ping(
        [weak](steady_clock::duration rtt) {
          if (auto s = weak.lock()) s->rtt_us_ = std::chrono::duration_cast<std::chrono::microseconds>(rtt).count();
        },
        [self, t](error_code) { self->on_ping_done(t); });
  });
}

void RelayConnection::on_ping_done(const std::shared_ptr<WsTransport>& t) {
  if (ping_transport_ == t) ping_transport_.reset();
  if (auto close = std::move(close_after_ping_)) {
    close_after_ping_ = nullptr;
    close();
  }
}

// ------------------------------------------------------------------------------------------- transport

void RelayConnection::open_transport(bool reconnect, bool refused) {
  if (!options_.refresh_headers) return open_with_headers(reconnect, {}, {});
  options_.refresh_headers(refused, [self = shared_from_this(), reconnect](std::string error, HeaderList headers) {
    asio::post(self->strand_, [self, reconnect, error = std::move(error), headers = std::move(headers)] {
      self->open_with_headers(reconnect, error, headers);
    });
  });
}

bool RelayConnection::retry_refused_credentials(bool reconnect) {
  if (!options_.refresh_headers || auth_retried_) return false;
  auth_retried_ = true;
  log("the relay refused our credentials: fetching fresh ones and retrying once");
  open_transport(reconnect, true);
  return true;
}

void RelayConnection::open_with_headers(bool reconnect, const std::string& error, const HeaderList& headers) {
  if (finished_ || closing_) return;
  if (!error.empty()) {
    if (!reconnect) return finish(make_error_code(errc::credentials_unavailable), CloseInfo{0, {}, error});
    log("reconnect attempt failed: " + error);
    return schedule_reconnect(error);
  }
  TransportOptions transport_options = options_.transport;
  transport_options.headers.insert(transport_options.headers.end(), headers.begin(), headers.end());
  const auto target = reconnect ? reconnect_target(options_.transport.relay, session_id(), stream_.bytes_received())
                                : connect_target(options_.transport.relay, options_.target);
  auto t = std::make_shared<WsTransport>(strand_, transport_options);
  transport_ = t;
  transport_open_ = false;
  log((reconnect ? "reconnecting: " : "connecting: ") + options_.transport.relay.to_string() + target);
  t->async_open(target, [self = shared_from_this(), t, reconnect](error_code ec, const OpenResult& result) {
    self->on_open(t, reconnect, ec, result);
  });
}

bool RelayConnection::fatal_open_error(error_code ec, const OpenResult& result) const {
  if (ec == errc::subprotocol_not_echoed || ec == errc::bad_relay_url) return true;
  if (ec == errc::upgrade_refused) {
    // 4xx says "you may not" (auth, origin, unknown route): retrying will not help. 408 and 429 are
    // transient, and 5xx is what proxies answer while the relay restarts.
    const auto s = result.http_status;
    return s >= 400 && s < 500 && s != 408 && s != 429;
  }
  return false;
}

void RelayConnection::on_open(const std::shared_ptr<WsTransport>& t, bool reconnect, error_code ec,
                              const OpenResult& result) {
  if (finished_ || t != transport_) return;
  if (ec) {
    transport_.reset();
    if (ec == errc::upgrade_refused && (result.http_status == 401 || result.http_status == 403) &&
        retry_refused_credentials(reconnect)) {
      return;
    }
    if (!reconnect || fatal_open_error(ec, result)) {
      return finish(ec, CloseInfo{0, {}, result.detail, result.http_status});
    }
    log("reconnect attempt failed: " + result.detail);
    return schedule_reconnect(result.detail);
  }
  if (closing_) {  // stop() raced with the open
    return close_relay_then_finish(websocket::close_code::normal, "client stopped", make_error_code(errc::stopped),
                                   "stop() was called");
  }
  transport_open_ = true;
  if (reconnect) {
    if (auto ok = stream_.resume_client(); !ok) {
      return finish(make_error_code(errc::protocol_error), CloseInfo{0, {}, ok.error().message});
    }
    log("WebSocket reopened; waiting for RECONNECT_SUCCESS");
  } else {
    log("WebSocket open; waiting for CONNECT_SUCCESS");
  }
  do_ws_read();
  do_ws_write();
}

void RelayConnection::on_drop(error_code ec, const std::string& what) {
  if (finished_ || closing_) return;
  const std::string detail = what + ": " + ec.message();
  if (transport_) transport_->abort();
  transport_.reset();
  transport_open_ = false;
  ws_reading_ = false;
  ws_writing_ = false;
  if (session_id().empty()) return finish(make_error_code(errc::lost_before_connect), CloseInfo{0, {}, detail});
  stream_.detach();
  if (!reconnecting_) {
    reconnecting_ = true;
    attempt_ = 0;
    dropped_at_ = steady_clock::now();
    reconnect_deadline_ = dropped_at_ + options_.reconnect_budget;
  }
  log("transport dropped (" + detail + "); resuming with ack=" + std::to_string(stream_.bytes_received()));
  schedule_reconnect(detail);
}

void RelayConnection::schedule_reconnect(const std::string& last_error) {
  const auto base = std::max<milliseconds::rep>(options_.backoff_base.count(), 1);
  const auto cap = std::max<milliseconds::rep>(options_.backoff_max.count(), base);
  const unsigned shift = std::min(attempt_, 20u);
  const auto ceiling = std::min<milliseconds::rep>(cap, base << shift);
  // "Equal jitter": half fixed, half random, so retries spread out but never collapse to zero.
  auto delay = milliseconds(ceiling / 2 + std::uniform_int_distribution<milliseconds::rep>(0, ceiling / 2)(rng_));
  ++attempt_;
  const auto now = steady_clock::now();
  if (now >= reconnect_deadline_) {
    const auto spent = std::chrono::duration_cast<milliseconds>(now - dropped_at_);
    return finish(make_error_code(errc::reconnect_gave_up),
                  CloseInfo{0, {}, "gave up after " + std::to_string(attempt_ - 1) + " attempts in " +
                                      std::to_string(spent.count()) + " ms; last error: " + last_error});
  }
  // The last attempt is made at the deadline (the end of the relay's grace period, if the budget
  // matches it) rather than not at all.
  delay = std::min(delay, std::chrono::duration_cast<milliseconds>(reconnect_deadline_ - now));
  backoff_timer_.expires_after(delay);
  backoff_timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (ec || self->finished_ || self->closing_) return;
    self->open_transport(true);
  });
}

// ------------------------------------------------------------------------------------ local → relay

void RelayConnection::do_local_read() {
  if (finished_ || closing_ || local_reading_ || local_eof_ || !stream_.can_send()) return;
  local_reading_ = true;
  local_->async_read_some(asio::buffer(local_buffer_),
                          [self = shared_from_this()](error_code ec, std::size_t n) { self->on_local_read(ec, n); });
}

void RelayConnection::on_local_read(error_code ec, std::size_t n) {
  local_reading_ = false;
  if (finished_) {
    if (ec) local_eof_ = true;
    return drain_local();
  }
  if (closing_) return;
  if (ec == asio::error::eof) {
    local_eof_ = true;
    log("local EOF; v4 has no half-close, so the session stays open until the relay closes it");
    return;
  }
  if (ec) {
    local_eof_ = true;
    return close_relay_then_finish(websocket::close_code::normal, "client's local side closed",
                                   make_error_code(errc::local_side_closed), "local read: " + ec.message());
  }
  if (auto ok = stream_.send(std::span<const std::uint8_t>(local_buffer_.data(), n)); !ok) {
    return close_relay_then_finish(websocket::close_code::protocol_error, clip_reason(ok.error().message),
                                   make_error_code(errc::protocol_error), ok.error().message);
  }
  bytes_from_local_ += n;
  do_ws_write();
  do_local_read();
}

void RelayConnection::do_ws_write() {
  if (finished_ || closing_ || !transport_open_ || ws_writing_) return;
  // With refreshable credentials a first connect may be refused (close 4401) and retried on a new
  // connection: early bytes stay queued until the relay has accepted this one.
  if (options_.refresh_headers && !connected_) return;
  auto message = stream_.next_message();
  if (!message) return;
  ws_writing_ = true;
  auto t = transport_;
  const auto& bytes = **message;
  t->async_write(asio::buffer(bytes.data(), bytes.size()),
                 [self = shared_from_this(), t, keep = std::move(*message)](error_code ec, std::size_t) {
                   self->on_ws_write(t, ec);
                 });
}

void RelayConnection::on_ws_write(const std::shared_ptr<WsTransport>& t, error_code ec) {
  if (finished_ || t != transport_) return;
  ws_writing_ = false;
  if (closing_) return;
  if (ec) return on_drop(ec, "WebSocket write");
  do_ws_write();
}

// ------------------------------------------------------------------------------------ relay → local

void RelayConnection::do_ws_read() {
  // One payload at a time: the next message is read only once the last one is written locally.
  if (finished_ || closing_ || !transport_open_ || ws_reading_ || local_writing_) return;
  ws_reading_ = true;
  auto t = transport_;
  t->async_read([self = shared_from_this(), t](error_code ec, std::size_t) { self->on_ws_read(t, ec); });
}

void RelayConnection::on_ws_read(const std::shared_ptr<WsTransport>& t, error_code ec) {
  if (finished_ || t != transport_) return;
  ws_reading_ = false;
  if (closing_) return;
  if (ec == websocket::error::closed) {
    const auto reason = t->reason();
    CloseInfo info{static_cast<std::uint16_t>(reason.code), std::string(reason.reason.c_str()), {}};
    log("relay closed the session: " + std::to_string(info.code) + " " + info.reason);
    transport_open_ = false;
    // 4401 (identity missing or invalid) in answer to a connect or reconnect: fresh credentials may do.
    const bool awaiting_hello = !connected_ || reconnecting_;
    if (info.code == 4401 && awaiting_hello && options_.refresh_headers && !auth_retried_) {
      transport_.reset();
      ws_writing_ = false;
      if (connected_) stream_.detach();
      return (void)retry_refused_credentials(connected_);
    }
    return finish({}, std::move(info));
  }
  if (ec) return on_drop(ec, "WebSocket read");
  if (!t->last_message_binary()) {
    return close_relay_then_finish(websocket::close_code::protocol_error, "text message", make_error_code(errc::text_message),
                                   "the relay sent a text message");
  }
  const auto data = t->buffer().cdata();
  auto event = stream_.receive(std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(data.data()), data.size()));
  if (!event) {
    log("protocol error from the relay: " + event.error().message);
    return close_relay_then_finish(websocket::close_code::protocol_error, clip_reason(event.error().message),
                                   make_error_code(errc::protocol_error), event.error().message);
  }
  bool writing = false;
  std::visit(Overloaded{
                 [&](const PayloadReceived& payload) {
                   writing = true;
                   local_writing_ = true;
                   // t keeps its read buffer (which the payload views) alive until the write is done.
                   local_->async_write(asio::buffer(payload.bytes.data(), payload.bytes.size()),
                                       [self = shared_from_this(), t](error_code e, std::size_t n) {
                                         self->on_local_write(e, n);
                                       });
                 },
                 [&](const Connected& connected) {
                   {
                     std::lock_guard lock(mutex_);
                     sid_ = connected.session_id;
                   }
                   connected_ = true;
                   auth_retried_ = false;
                   log("CONNECT_SUCCESS");
                 },
                 [&](const Resumed& resumed) {
                   const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - dropped_at_);
                   reconnecting_ = false;
                   auth_retried_ = false;
                   attempt_ = 0;
                   ++reconnects_;
                   log("RECONNECT_SUCCESS after " + std::to_string(took.count()) + " ms: relay had " +
                       std::to_string(resumed.peer_received) + " bytes, retransmitting " +
                       std::to_string(stream_.bytes_queued() - resumed.peer_received));
                 },
                 [&](const Acknowledged&) {},
             },
             *event);
  do_ws_write();
  do_local_read();  // an ACK or resume may have made room in the replay buffer
  if (!writing) do_ws_read();
}

void RelayConnection::on_local_write(error_code ec, std::size_t n) {
  local_writing_ = false;
  if (finished_) return;
  if (ec) {
    return close_relay_then_finish(websocket::close_code::normal, "client's local side closed",
                                   make_error_code(errc::local_side_closed), "local write: " + ec.message());
  }
  bytes_to_local_ += n;
  (void)stream_.delivered(n);  // cannot fail: n bytes were just received
  do_ws_write();  // the ACK
  do_ws_read();
}

// ------------------------------------------------------------------------------------------ endings

void RelayConnection::close_relay_then_finish(websocket::close_code code, std::string reason, error_code ec,
                                              std::string detail) {
  if (finished_) return;
  backoff_timer_.cancel();
  if (!transport_ || !transport_open_ || closing_) {
    closing_ = true;
    return finish(ec, CloseInfo{0, {}, std::move(detail)});
  }
  closing_ = true;
  log("closing the session: " + detail);
  auto t = transport_;
  auto close = [self = shared_from_this(), t, code, reason = clip_reason(std::move(reason)), ec,
                detail = std::move(detail)] {
    if (self->finished_) return;
    t->async_close(websocket::close_reason(code, reason),
                   [self, t, ec, detail](error_code) { self->finish(ec, CloseInfo{0, {}, detail}); });
  };
  // Beast allows no close while a ping is being written; the ping is one small frame.
  if (ping_transport_ == t) {
    close_after_ping_ = std::move(close);
    return;
  }
  close();
}

void RelayConnection::finish(error_code ec, CloseInfo info) {
  if (finished_) return;
  finished_ = true;
  final_ec_ = ec;
  final_info_ = std::move(info);
  if (ec) log("session failed: " + ec.message() + (final_info_.detail.empty() ? "" : " (" + final_info_.detail + ")"));
  close_after_ping_ = nullptr;
  if (options_.on_outcome) options_.on_outcome(final_ec_, final_info_);
  backoff_timer_.cancel();
  if (transport_) transport_->abort();
  transport_.reset();
  transport_open_ = false;
  // Everything received has been written locally (reads wait for local writes). Signal EOF, then read
  // until the local peer closes too: closing a socket with unread input would send a reset that can
  // destroy bytes the peer has not read yet.
  local_->shutdown_send();
  if (local_writing_ || ec == errc::local_side_closed) local_eof_ = true;
  linger_timer_.expires_after(kLocalLinger);
  linger_timer_.async_wait([self = shared_from_this()](error_code e) {
    if (!e) self->complete();
  });
  drain_local();
}

void RelayConnection::drain_local() {
  if (completed_) return;
  if (local_eof_) return complete();
  if (local_reading_) return;
  local_reading_ = true;
  local_->async_read_some(asio::buffer(local_buffer_),
                          [self = shared_from_this()](error_code ec, std::size_t n) { self->on_local_read(ec, n); });
}

void RelayConnection::complete() {
  if (completed_.exchange(true)) return;
  linger_timer_.cancel();
  local_->close();
  {
    std::lock_guard lock(mutex_);
    result_ = std::make_pair(final_ec_, final_info_);
  }
  if (auto handler = std::move(handler_)) {
    asio::post(strand_, [handler = std::move(handler), ec = final_ec_, info = final_info_]() mutable {
      handler(ec, std::move(info));
    });
  }
}

}  // namespace sshrelay::client
