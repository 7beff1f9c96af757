#include "native/client/relay_connection.hpp"

#include "core/audit/audit_event.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/websocket/error.hpp>
#include <algorithm>
#include <random>
#include <span>
#include <utility>
#include <variant>

#include "core/session/raw_client_session.hpp"
#include "core/session/v4_client_session.hpp"

namespace sshrelay::client {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;
using std::chrono::milliseconds;

namespace {

constexpr auto kLocalLinger = std::chrono::seconds(5);

TimePoint now() { return std::chrono::steady_clock::now(); }

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::unique_ptr<ClientSession> make_machine(const ConnectionOptions& options) {
  if (options.shape == RelayShape::raw) {
    RawClientSessionConfig config;
    config.path_prefix = options.transport.relay.path_prefix;
    config.host = options.target.host;
    config.port = options.target.port;
    config.queue_cap = options.replay_cap;
    return std::make_unique<RawClientSession>(std::move(config));
  }
  V4ClientSessionConfig config;
  config.path_prefix = options.transport.relay.path_prefix;
  config.host = options.target.host;
  config.port = options.target.port;
  config.user = options.target.user;
  config.rendezvous_id = options.target.rendezvous_id;
  config.rendezvous_token = options.target.rendezvous_token;
  config.end_on_local_eof = !options.target.rendezvous_id.empty();
  config.replay_cap = options.replay_cap;
  config.reconnect = options.reconnect;
  config.refreshable_credentials = static_cast<bool>(options.refresh_headers);
  // The relay must answer an open within the transport's own bounds; a little slack for the hello.
  config.hello_timeout = std::chrono::duration_cast<Duration>(options.transport.connect_timeout +
                                                              options.transport.handshake_timeout) + Duration(5000);
  config.seed = (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  return std::make_unique<V4ClientSession>(std::move(config));
}

// An open that failed this way cannot succeed however often it is retried.
bool fatal_open_error(error_code ec) { return ec == errc::subprotocol_not_echoed || ec == errc::bad_relay_url; }

}  // namespace

RelayConnection::RelayConnection(std::unique_ptr<LocalStream> local, ConnectionOptions options)
    : strand_(local->get_executor()),
      local_(std::move(local)),
      options_(std::move(options)),
      machine_(make_machine(options_)),
      deadline_timer_(strand_),
      linger_timer_(strand_),
      local_buffer_(std::max<std::size_t>(options_.local_read_size, 1)) {}

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
    self->machine_->start(now());
    self->pump();
  });
}

void RelayConnection::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->finished_ || self->closing_) return;
    self->machine_->stop(now());
    self->pump();
  });
}

void RelayConnection::drop_transport() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->finished_ || self->closing_ || !self->transport_) return;
    if (self->machine_->transport_open()) return self->transport_lost("drop_transport() test hook");
    self->transport_->abort();  // still opening: the open fails, and the machine decides
  });
}

void RelayConnection::measure_rtt() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->finished_ || self->closing_ || !self->machine_->transport_open() || self->ping_transport_) return;
    auto t = self->transport_;
    self->ping_transport_ = t;
    std::weak_ptr<RelayConnection> weak = self;
    t->async_ping(
        [weak](std::chrono::steady_clock::duration rtt) {
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

// --------------------------------------------------------------------------------------------- the loop

void RelayConnection::pump() {
  if (finished_ || closing_) return;
  do_ws_write();  // first: pulling a message may itself decide the outcome (a broken stream)
  while (auto event = machine_->next_event()) report(*event);
  reconnects_ = machine_->reconnects();
  if (machine_->take_abandon() && transport_) {
    transport_->abort();
    transport_.reset();
    ws_reading_ = ws_writing_ = false;
  }
  if (machine_->finished()) return conclude();
  if (auto open = machine_->take_open()) open_transport(*open);
  do_ws_read();
  do_local_read();
  arm_timer();
}

void RelayConnection::report(const ClientEvent& event) {
  std::visit(Overloaded{
                 [&](const RelayConnected& connected) {
                   {
                     std::lock_guard lock(mutex_);
                     sid_ = connected.session_id;
                   }
                   log("CONNECT_SUCCESS");
                 },
                 [&](const TransportDropped& dropped) {
                   log("transport dropped (" + dropped.why + "); resuming with ack=" + std::to_string(dropped.resume_ack));
                 },
                 [&](const AttemptFailed& failed) {
                   log("reconnect attempt failed (attempt " + std::to_string(failed.attempt) + "): " + failed.detail +
                       "; next in " + std::to_string(failed.retry_in.count()) + " ms");
                 },
                 [&](const RelayResumed& resumed) {
                   log("RECONNECT_SUCCESS after " + std::to_string(resumed.after.count()) + " ms: relay had " +
                       std::to_string(resumed.peer_received) + " bytes, retransmitting " +
                       std::to_string(resumed.retransmitting));
                 },
                 [&](const CredentialsRetry&) {
                   log("the relay refused our credentials: fetching fresh ones and retrying once");
                 },
             },
             event);
}

void RelayConnection::arm_timer() {
  deadline_timer_.keep_at(machine_->next_deadline(), [self = shared_from_this()] {
    if (self->finished_ || self->closing_) return;
    self->machine_->on_timeout(now());
    self->pump();
  });
}

// ------------------------------------------------------------------------------------------- transport

void RelayConnection::open_transport(const OpenTransport& open) {
  open_error_ = {};
  if (!options_.refresh_headers) return open_with_headers(open, {}, {});
  options_.refresh_headers(open.credentials_refused, [self = shared_from_this(), open](std::string error, HeaderList headers) {
    asio::post(self->strand_, [self, open, error = std::move(error), headers = std::move(headers)] {
      self->open_with_headers(open, error, headers);
    });
  });
}

void RelayConnection::open_with_headers(const OpenTransport& open, const std::string& error, const HeaderList& headers) {
  if (finished_ || closing_ || machine_->finished()) return;
  if (!error.empty()) {
    open_error_ = make_error_code(errc::credentials_unavailable);
    if (open.reconnect) log("reconnect attempt failed: " + error);
    machine_->on_credentials_unavailable(error, now());
    return pump();
  }
  TransportOptions transport_options = options_.transport;
  transport_options.subprotocol = options_.shape == RelayShape::raw ? "binary" : "ssh";
  transport_options.headers.insert(transport_options.headers.end(), headers.begin(), headers.end());
  auto t = std::make_shared<WsTransport>(strand_, transport_options);
  transport_ = t;
  // Query values redacted as in the audit trail: a rendezvous token must not reach a log.
  log((open.reconnect ? "reconnecting: " : "connecting: ") + options_.transport.relay.to_string() +
      redact_query(open.request_target.substr(options_.transport.relay.path_prefix.size())));
  t->async_open(open.request_target,
                [self = shared_from_this(), t](error_code ec, const OpenResult& result) { self->on_open(t, ec, result); });
}

void RelayConnection::on_open(const std::shared_ptr<WsTransport>& t, error_code ec, const OpenResult& result) {
  if (finished_ || closing_ || t != transport_) return;
  if (ec) {
    transport_.reset();
    open_error_ = ec;
    machine_->on_open_failed({result.http_status, fatal_open_error(ec), result.detail.empty() ? ec.message() : result.detail},
                             now());
    return pump();
  }
  log("WebSocket open; waiting for the relay");
  machine_->on_open_succeeded(now());
  pump();
}

void RelayConnection::transport_lost(const std::string& why) {
  if (finished_ || closing_) return;
  if (transport_) transport_->abort();
  transport_.reset();
  ws_reading_ = ws_writing_ = false;
  machine_->on_transport_lost(why, now());
  pump();
}

// ------------------------------------------------------------------------------------ local → relay

void RelayConnection::do_local_read() {
  if (finished_ || closing_ || local_reading_ || local_eof_ || !machine_->can_accept_local()) return;
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
    const bool ends = !options_.target.rendezvous_id.empty();
    log(ends ? "local EOF; the leg ends once the relay has every byte" : "local EOF; the session stays open until the relay closes it");
    machine_->on_local_eof(now());
    return pump();
  }
  if (ec) {
    local_eof_ = true;
    machine_->on_local_failed("local read: " + ec.message(), now());
    return pump();
  }
  if (auto ok = machine_->on_local_data(std::span<const std::uint8_t>(local_buffer_.data(), n), now()); !ok) {
    machine_->on_local_failed(ok.error().message, now());
    return pump();
  }
  bytes_from_local_ += n;
  pump();
}

void RelayConnection::do_ws_write() {
  if (finished_ || closing_ || ws_writing_ || !transport_ || !machine_->transport_open()) return;
  auto message = machine_->next_relay_message(now());
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
  if (ec) return transport_lost("WebSocket write: " + ec.message());
  pump();
}

// ------------------------------------------------------------------------------------ relay → local

void RelayConnection::do_ws_read() {
  // One payload at a time: the next message is read only once the last one is written locally.
  if (finished_ || closing_ || ws_reading_ || local_writing_ || !transport_ || !machine_->transport_open()) return;
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
    log("relay closed the session: " + std::to_string(reason.code) + " " + std::string(reason.reason.c_str()));
    transport_.reset();
    ws_writing_ = false;
    machine_->on_relay_closed(static_cast<std::uint16_t>(reason.code), std::string(reason.reason.c_str()), now());
    return pump();
  }
  if (ec) return transport_lost("WebSocket read: " + ec.message());
  const auto data = t->buffer().cdata();
  const auto payload = machine_->on_relay_message(
      std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(data.data()), data.size()), t->last_message_binary(),
      now());
  if (payload && !payload->empty()) {
    local_writing_ = true;
    // t keeps its read buffer (which the payload views) alive until the write is done.
    local_->async_write(asio::buffer(payload->data(), payload->size()),
                        [self = shared_from_this(), t](error_code e, std::size_t n) { self->on_local_write(e, n); });
  }
  pump();
}

void RelayConnection::on_local_write(error_code ec, std::size_t n) {
  local_writing_ = false;
  if (finished_ || closing_) return;
  if (ec) {
    machine_->on_local_failed("local write: " + ec.message(), now());
    return pump();
  }
  bytes_to_local_ += n;
  machine_->on_delivered(n, now());
  pump();
}

// ------------------------------------------------------------------------------------------ endings

void RelayConnection::conclude() {
  deadline_timer_.cancel();
  auto close = machine_->take_close();
  if (!close || !transport_) return finish();
  closing_ = true;
  log("closing the session: " + std::to_string(close->code) + " " + close->reason);
  auto t = transport_;
  auto send_close = [self = shared_from_this(), t, close = *close] {
    if (self->finished_) return;
    t->async_close(websocket::close_reason(static_cast<websocket::close_code>(close.code), close.reason),
                   [self, t](error_code) { self->finish(); });
  };
  // Beast allows no close while a ping is being written; the ping is one small frame.
  if (ping_transport_ == t) {
    close_after_ping_ = std::move(send_close);
    return;
  }
  send_close();
}

std::pair<error_code, CloseInfo> RelayConnection::completion_of(const ClientOutcome& outcome) const {
  const auto failed = [&](error_code ec) { return std::make_pair(ec, CloseInfo{0, {}, outcome.detail, outcome.http_status}); };
  switch (outcome.end) {
    case ClientEnd::closed_by_relay:
      return {error_code{}, CloseInfo{outcome.close_code, outcome.close_reason, {}, 0}};
    case ClientEnd::stopped:
      return failed(make_error_code(errc::stopped));
    case ClientEnd::local_closed:
      return failed(make_error_code(errc::local_side_closed));
    case ClientEnd::refused:
      return failed(open_error_ && open_error_ != errc::credentials_unavailable ? open_error_
                                                                               : make_error_code(errc::upgrade_refused));
    case ClientEnd::unreachable:
      return failed(open_error_ ? open_error_ : make_error_code(asio::error::timed_out));
    case ClientEnd::lost_before_connect:
      return failed(make_error_code(errc::lost_before_connect));
    case ClientEnd::transport_lost:
      return failed(make_error_code(errc::transport_lost));
    case ClientEnd::gave_up:
      return failed(make_error_code(errc::reconnect_gave_up));
    case ClientEnd::protocol_error:
      return failed(make_error_code(errc::protocol_error));
    case ClientEnd::credentials_unavailable:
      return failed(make_error_code(errc::credentials_unavailable));
  }
  return failed(make_error_code(errc::protocol_error));
}

void RelayConnection::finish() {
  if (finished_) return;
  finished_ = true;
  std::tie(final_ec_, final_info_) = completion_of(*machine_->outcome());
  if (final_ec_) {
    log("session failed: " + final_ec_.message() + (final_info_.detail.empty() ? "" : " (" + final_info_.detail + ")"));
  }
  close_after_ping_ = nullptr;
  if (options_.on_outcome) options_.on_outcome(final_ec_, final_info_);
  deadline_timer_.cancel();
  if (transport_) transport_->abort();
  transport_.reset();
  // Everything received has been written locally (reads wait for local writes). Signal EOF, then read
  // until the local peer closes too: closing a socket with unread input would send a reset that can
  // destroy bytes the peer has not read yet.
  local_->shutdown_send();
  if (local_writing_ || final_ec_ == errc::local_side_closed) local_eof_ = true;
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
