#include "native/daemon/relay_session.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <sstream>

#include "core/v4_frame.hpp"
#include "core/close_code.hpp"
#include "native/daemon/log.hpp"

namespace sshrelay::daemon {
namespace {

constexpr std::size_t kTargetReadSize = 64 * 1024;
constexpr auto kBudgetRetry = std::chrono::milliseconds(20);
constexpr std::uint64_t kAckBatch = 64 * 1024;

}  // namespace

RelaySession::RelaySession(RelayContext& ctx, Strand strand, tcp::socket target, Target target_name, std::string sid,
                           SessionOwner owner, std::unique_ptr<PortLease> source_port)
    : ctx_(ctx),
      strand_(std::move(strand)),
      target_(std::move(target)),
      source_port_(std::move(source_port)),
      target_name_(std::move(target_name)),
      sid_(std::move(sid)),
      owner_(std::move(owner)),
      stream_(Role::server, ctx.config.max_replay_buffer),
      lifetime_(std::chrono::duration_cast<std::chrono::milliseconds>(ctx.config.grace)),
      grace_timer_(strand_),
      budget_timer_(strand_),
      liveness_timer_(strand_) {
  (void)stream_.start_server(sid_);  // sid comes from make_session_id: always valid
  boost::system::error_code ignored;
  target_endpoint_ = target_.remote_endpoint(ignored);
  relay_endpoint_ = target_.local_endpoint(ignored);
  started_at_ = std::chrono::steady_clock::now();
}

void RelaySession::attach(std::shared_ptr<ClientSocket> ws, std::optional<std::uint64_t> resume_ack, ClientPeer peer) {
  net::post(strand_, [self = shared_from_this(), ws = std::move(ws), resume_ack, peer = std::move(peer)]() mutable {
    self->on_attach(std::move(ws), resume_ack, std::move(peer));
  });
}

void RelaySession::shutdown(std::uint16_t code, std::string reason) {
  net::post(strand_, [self = shared_from_this(), code, reason = std::move(reason)]() mutable {
    self->finish(code, std::move(reason));
  });
}

void RelaySession::on_attach(std::shared_ptr<ClientSocket> ws, std::optional<std::uint64_t> resume_ack, ClientPeer peer) {
  auto refuse = [&](std::uint16_t code, const std::string& reason) {
    ws->visit([&](auto& s) {
      s.async_close(make_close_reason(code, reason), net::bind_executor(strand_, [ws](boost::system::error_code) { ws->abort(); }));
    });
  };
  if (finished_) return refuse(close_code::unknown_session, "session has ended");

  if (resume_ack) {
    // Checked before anything changes: a reconnect that cannot resume (an ack beyond what was sent, or
    // below what was acknowledged) is refused and leaves the attached socket and the session as they were.
    if (auto ok = stream_.check_resume(*resume_ack); !ok) {
      log(LogLevel::warn, "sid=" + sid_ + " reconnect from " + peer.text + " refused: " + ok.error().message);
      auto denied = audit_event(AuditEventType::policy_denied);
      denied.source_ip = peer.address;
      denied.source_port = peer.port;
      denied.path = peer.path;
      denied.close_code = close_code::unknown_session;
      denied.reason = "reconnect refused: " + ok.error().message;
      ctx_.audit(std::move(denied));
      return refuse(close_code::unknown_session, "cannot resume: " + ok.error().message);
    }
    if (ws_) {  // evict the old (often half-open) socket before taking over
      log(LogLevel::info, "sid=" + sid_ + " reconnect from " + peer.text + " evicts the socket from " + peer_.text);
      ws_->abort();
      ws_.reset();
      ++generation_;
      stream_.detach();
    }
    (void)stream_.resume_server(*resume_ack);  // checked above, nothing ran on the strand since
    settle_budget();
    log(LogLevel::info, "sid=" + sid_ + " resumed from " + peer.text + " at ack " + std::to_string(*resume_ack) +
                            " (replaying " + std::to_string(stream_.bytes_queued() - *resume_ack) + " bytes)");
  } else {
    log(LogLevel::info, "sid=" + sid_ + " connected " + peer.text + " -> " + target_name_.to_string() + " principal=" +
                            owner_.principal);
  }

  ws_ = std::move(ws);
  peer_ = std::move(peer);
  // Before any byte flows either way (nothing is read or written until below).
  auto attached = audit_event(resume_ack ? AuditEventType::session_reconnect : AuditEventType::session_start);
  attached.path = peer_.path;
  if (resume_ack) {
    attached.bytes_up = stream_.bytes_received();
    attached.bytes_down = stream_.bytes_sent();
  }
  ctx_.audit(std::move(attached));
  ++generation_;
  attached_ = true;
  lifetime_.attached();
  grace_timer_.cancel();
  heard_from_client_ = true;
  ping_unanswered_ = false;
  ping_writing_ = false;
  ws_->visit([this](auto& s) {
    s.binary(true);
    s.auto_fragment(false);
    s.read_message_max(v4::kDataHeaderSize + v4::kMaxDataPayload);
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(30);  // bounds the close handshake
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    s.set_option(timeouts);
    // Called on the strand, inside a read. The socket holds the callback and the session holds the
    // socket: a weak reference breaks the cycle.
    s.control_callback([weak = weak_from_this()](websocket::frame_type kind, boost::beast::string_view) {
      if (auto self = weak.lock(); self && kind == websocket::frame_type::pong) self->heard_from_client_ = true;
    });
  });
  arm_liveness_timer();
  if (!target_writing_) do_ws_read();
  do_ws_write();
  do_target_read();
}

void RelaySession::do_ws_read() {
  if (!ws_ || finished_) return;
  ws_->visit([this](auto& s) {
    s.async_read(ws_->read_buffer(), net::bind_executor(strand_, [self = shared_from_this(), ws = ws_, generation = generation_](
                                                              boost::system::error_code ec, std::size_t n) {
                   self->on_ws_read(ws, generation, ec, n);
                 }));
  });
}

void RelaySession::on_ws_read(std::shared_ptr<ClientSocket> ws, std::uint64_t generation, boost::system::error_code ec,
                              std::size_t) {
  if (generation != generation_ || finished_) return;  // a superseded socket, or the session is over
  heard_from_client_ = true;
  if (ec == websocket::error::closed) {
    // A clean close by the client ends the session: the extension never resumes after one.
    std::string reason = "client closed";
    ws->visit([&](auto& s) { reason += " (" + std::to_string(s.reason().code) + ")"; });
    close_sent_ = true;
    return finish(close_code::normal, reason);
  }
  if (ec) return transport_lost("read: " + ec.message());
  bool text = false;
  ws->visit([&](auto& s) { text = s.got_text(); });
  if (text) return finish(close_code::unsupported_data, "corp-relay-v4 uses binary messages only");

  auto& buffer = ws->read_buffer();
  auto event = stream_.receive(std::span(static_cast<const std::uint8_t*>(buffer.data().data()), buffer.size()));
  if (!event) return finish(close_code::protocol_error, event.error().message);
  if (auto* payload = std::get_if<PayloadReceived>(&*event)) {
    target_writing_ = true;  // the payload lives in ws's buffer: ws stays alive until it is written
    net::async_write(target_, net::buffer(payload->bytes.data(), payload->bytes.size()),
                     net::bind_executor(strand_, [self = shared_from_this(), ws](boost::system::error_code e, std::size_t n) {
                       self->on_target_write(ws, e, n);
                     }));
    return;
  }
  buffer.consume(buffer.size());
  settle_budget();    // an ACK freed replay memory
  do_target_read();   // which may let a paused target be read again
  ack_flushed_at_ = stream_.bytes_delivered();
  do_ws_write();      // an ACK held back during an upload burst
  do_ws_read();
}

void RelaySession::on_target_write(std::shared_ptr<ClientSocket> ws, boost::system::error_code ec, std::size_t n) {
  target_writing_ = false;
  ws->read_buffer().consume(ws->read_buffer().size());
  if (finished_) return;
  if (ec) return finish(close_code::internal_error, "target connection lost: " + ec.message());
  (void)stream_.delivered(n);  // n is the payload just received: cannot exceed it
  // During an upload burst (the client's next message already waiting on the socket) one ACK per
  // kAckBatch bytes instead of one per DATA; the last DATA of a burst, and interactive traffic, are
  // ACKed at once. design.md allows coalescing ACKs.
  bool more_waiting = false;
  ws->visit([&](auto& s) {
    boost::system::error_code ignored;
    more_waiting = boost::beast::get_lowest_layer(s).socket().available(ignored) > 0;
  });
  if (!more_waiting || stream_.bytes_delivered() - ack_flushed_at_ >= kAckBatch) {
    ack_flushed_at_ = stream_.bytes_delivered();
    do_ws_write();  // the ACK
  }
  do_ws_read();
}

void RelaySession::do_ws_write() {
  if (ws_writing_ || !ws_) return;
  if (finished_) {
    if (close_sent_ || ping_writing_) return;  // the ping's completion comes back here
    close_sent_ = true;
    ws_writing_ = true;
    ws_->visit([this](auto& s) {
      s.async_close(make_close_reason(final_code_, final_reason_),
                    net::bind_executor(strand_, [self = shared_from_this(), ws = ws_](boost::system::error_code) {
                      self->ws_writing_ = false;
                      ws->abort();
                    }));
    });
    return;
  }
  auto message = stream_.next_message();
  if (!message) {
    if (const Error* error = stream_.error()) return finish(close_code::internal_error, error->message);
    if (target_eof_ && stream_.flushed()) finish(close_code::normal, target_close_reason_);
    return;
  }
  ws_writing_ = true;
  ws_->visit([&](auto& s) {
    s.async_write(net::buffer(**message),
                  net::bind_executor(strand_, [self = shared_from_this(), ws = ws_, generation = generation_,
                                               message = *message](boost::system::error_code ec, std::size_t) {
                    self->on_ws_write(ws, generation, ec);
                  }));
  });
}

void RelaySession::on_ws_write(std::shared_ptr<ClientSocket>, std::uint64_t generation, boost::system::error_code ec) {
  ws_writing_ = false;
  if (generation == generation_ && ec && !finished_) return transport_lost("write: " + ec.message());
  do_ws_write();  // the current socket's next message, or the close frame
}

void RelaySession::do_target_read() {
  if (target_reading_ || target_eof_ || finished_) return;
  const std::size_t cap = ctx_.config.max_replay_buffer;
  if (stream_.unacked() >= cap) return;  // the next ACK resumes reading
  // Wait for bytes before taking any budget: an idle session holds none of it.
  target_reading_ = true;
  target_.async_wait(tcp::socket::wait_read,
                     net::bind_executor(strand_, [self = shared_from_this()](boost::system::error_code ec) {
                       self->on_target_readable(ec);
                     }));
}

void RelaySession::on_budget_retry(boost::system::error_code ec) {
  if (!ec) do_target_read();
}

void RelaySession::on_target_readable(boost::system::error_code ec) {
  target_reading_ = false;
  if (finished_) return;
  std::size_t n = 0;
  if (!ec) {
    const std::size_t cap = ctx_.config.max_replay_buffer;
    const std::size_t room = cap > stream_.unacked() ? cap - stream_.unacked() : 0;
    // Bytes are copied into the stream before this handler returns, so one buffer per thread serves
    // every session (rather than 64 KiB held by each idle one).
    thread_local std::vector<std::uint8_t> buffer(kTargetReadSize);
    const std::size_t reserved = ctx_.budget.reserve(std::min(room, buffer.size()), 1);
    if (reserved == 0) {  // the global budget is spent: try again shortly
      budget_timer_.expires_after(kBudgetRetry);
      budget_timer_.async_wait([self = shared_from_this()](boost::system::error_code e) { self->on_budget_retry(e); });
      return;
    }
    target_.non_blocking(true, ec);
    if (!ec) n = target_.read_some(net::buffer(buffer.data(), reserved), ec);
    ctx_.budget.release(reserved - n);
    if (ec == net::error::would_block || ec == net::error::try_again) {
      do_target_read();
      return;
    }
    budget_charged_ += n;
    if (n > 0) (void)stream_.send(std::span(buffer.data(), n));
  }
  if (ec) {
    target_eof_ = true;
    target_close_reason_ = ec == net::error::eof ? "target closed the connection" : "target connection lost: " + ec.message();
    log(LogLevel::debug, "sid=" + sid_ + " " + target_close_reason_);
  }
  do_ws_write();
  do_target_read();
}

void RelaySession::arm_liveness_timer() {
  liveness_timer_.expires_after(ctx_.config.ping_interval);
  liveness_timer_.async_wait([self = shared_from_this(), generation = generation_](boost::system::error_code ec) {
    self->on_liveness_timer(generation, ec);
  });
}

void RelaySession::on_liveness_timer(std::uint64_t generation, boost::system::error_code ec) {
  if (ec || generation != generation_ || finished_ || !ws_) return;
  if (heard_from_client_) {
    heard_from_client_ = false;
    ping_unanswered_ = false;
  } else if (ping_unanswered_) {
    return transport_lost("no answer to a ping within " + std::to_string(ctx_.config.ping_interval.count()) + " s");
  } else if (!ping_writing_) {
    // Also keeps proxies (nginx 60 s, Cloudflare ~100 s) from cutting a quiet socket.
    ping_unanswered_ = true;
    ping_writing_ = true;
    ws_->visit([this](auto& s) {
      s.async_ping({}, net::bind_executor(strand_, [self = shared_from_this(), ws = ws_](boost::system::error_code) {
                     if (ws != self->ws_) return;  // an evicted socket's ping: the new socket starts afresh
                     self->ping_writing_ = false;
                     if (self->finished_) self->do_ws_write();  // a close may be waiting for the ping
                   }));
    });
  }
  arm_liveness_timer();
}

void RelaySession::transport_lost(const std::string& why) {
  if (finished_) return;
  liveness_timer_.cancel();
  ping_writing_ = false;
  if (ws_) ws_->abort();
  ws_.reset();
  attached_ = false;
  ++generation_;
  stream_.detach();
  const TimePoint deadline = lifetime_.detached(std::chrono::steady_clock::now());
  log(LogLevel::info, "sid=" + sid_ + " detached (" + why + "); waiting " +
                          std::to_string(ctx_.config.grace.count()) + " s for a reconnect");
  grace_timer_.expires_at(deadline);
  grace_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) { self->on_grace_timer(ec); });
}

void RelaySession::on_grace_timer(boost::system::error_code ec) {
  if (ec || !lifetime_.expired(std::chrono::steady_clock::now())) return;  // cancelled, or re-attached since
  finish(close_code::normal, "grace period expired");
}

void RelaySession::finish(std::uint16_t code, std::string reason) {
  if (finished_) return;
  finished_ = true;
  final_code_ = code;
  final_reason_ = std::move(reason);
  std::ostringstream line;
  line << "sid=" << sid_ << " closed " << final_code_ << " \"" << final_reason_ << "\" up=" << stream_.bytes_received()
       << " down=" << stream_.bytes_sent();
  log(LogLevel::info, line.str());
  liveness_timer_.cancel();
  auto closed = audit_event(AuditEventType::session_close);
  closed.bytes_up = stream_.bytes_received();
  closed.bytes_down = stream_.bytes_sent();
  closed.duration_ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_at_).count());
  closed.close_code = final_code_;
  closed.close_reason = final_reason_;
  ctx_.audit(std::move(closed));
  grace_timer_.cancel();
  budget_timer_.cancel();
  close_target();
  ctx_.budget.release(budget_charged_);
  budget_charged_ = 0;
  ctx_.registry.remove(sid_);
  attached_ = false;
  do_ws_write();  // the close frame, now or after the write in flight
}

void RelaySession::settle_budget() {
  const std::size_t held = stream_.unacked();
  if (budget_charged_ > held) {
    ctx_.budget.release(budget_charged_ - held);
    budget_charged_ = held;
  }
}

AuditEvent RelaySession::audit_event(AuditEventType type) const {
  AuditEvent event;
  event.type = type;
  event.principal = owner_.principal;
  event.source_ip = peer_.address;
  event.source_port = peer_.port;
  event.target = target_name_.to_string();
  event.target_user = owner_.target_user;
  event.resolved_ip = target_endpoint_.address().to_string();
  event.resolved_port = target_endpoint_.port();
  event.relay_ip = relay_endpoint_.address().to_string();
  event.relay_source_port = relay_endpoint_.port();
  event.sid = sid_;
  return event;
}

void RelaySession::close_target() {
  boost::system::error_code ignored;
  target_.shutdown(tcp::socket::shutdown_both, ignored);
  target_.close(ignored);
  source_port_.reset();
}

}  // namespace sshrelay::daemon
