#pragma once
// SessionDriver's member definitions, instantiated once per session machine (v4_session.cpp,
// raw_relay_session.cpp).
#include "native/daemon/session_driver.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <array>
#include <sstream>
#include <type_traits>

#include "core/wire/close_code.hpp"
#include "core/wire/v4_frame.hpp"
#include "native/daemon/audit/audit_log.hpp"
#include "native/daemon/frame_pool.hpp"
#include "native/daemon/log.hpp"

namespace sshrelay::daemon {
namespace session_driver_detail {

// One socket read from the client: starts small (an idle session's pending read holds its buffer) and
// doubles while reads fill it (a burst: many frames per read), halving again when they do not.
constexpr std::size_t kClientReadMin = 2 * 1024;
constexpr std::size_t kClientReadMax = 256 * 1024;
constexpr std::size_t kTargetReadSize = 256 * 1024;   // one target read, cut into messages by the machine
// A target read of at least kTargetStreamingRead bytes is followed by another at once, up to
// kTargetReadsPerWake reads per readiness wait (see on_target_readable).
constexpr std::size_t kTargetStreamingRead = 32 * 1024;
constexpr int kTargetReadsPerWake = 4;
constexpr std::size_t kWriteBatchBytes = 512 * 1024;  // one gathered write to the client
constexpr std::size_t kWriteBatchFrames = 128;
// A client that asked for packFrames (core/wire/v4_url.hpp) gets consecutive messages of one gathered
// write under one WebSocket header, up to this many bytes (four full DATA frames).
constexpr std::size_t kPackedMessageBytes = 4 * (v4::kDataHeaderSize + v4::kMaxDataPayload);
constexpr std::size_t kDrainLimit = 16 * 1024 * 1024;  // read from a failed connection at most this much
constexpr auto kBudgetRetry = std::chrono::milliseconds(20);

}  // namespace session_driver_detail

template <class Machine>
SessionDriver<Machine>::SessionDriver(RelayContext& ctx, Strand strand, tcp::socket target,
                                      std::unique_ptr<PortLease> source_port, SessionDescription description,
                                      Machine machine)
    : ctx_(ctx),
      strand_(std::move(strand)),
      target_(std::move(target)),
      source_port_(std::move(source_port)),
      description_(std::move(description)),
      machine_(std::move(machine)),
      bridged_(machine_),
      timer_(strand_),
      budget_timer_(strand_) {
  client_read_size_ = session_driver_detail::kClientReadMin;
  boost::system::error_code ignored;
  // Target reads are made when the socket is readable and must not block the thread if the bytes are
  // gone; set once here (each call is a syscall). Asio's async writes handle a non-blocking socket.
  target_.non_blocking(true, ignored);
  target_endpoint_ = target_.remote_endpoint(ignored);
  relay_endpoint_ = target_.local_endpoint(ignored);
  started_at_ = std::chrono::steady_clock::now();
}

template <class Machine>
SessionDriver<Machine>::SessionDriver(RelayContext& ctx, Strand strand, std::shared_ptr<LegLink> leg,
                                      SessionDescription description, Machine machine)
    : ctx_(ctx),
      strand_(std::move(strand)),
      target_(strand_),
      description_(std::move(description)),
      machine_(std::move(machine)),
      leg_(std::move(leg)),
      bridged_(machine_),
      timer_(strand_),
      budget_timer_(strand_) {
  client_read_size_ = session_driver_detail::kClientReadMin;
  target_closed_ = true;  // there is no socket: the link is the target
  started_at_ = std::chrono::steady_clock::now();
}

template <class Machine>
SessionDriver<Machine>::~SessionDriver() {
  // A leg that never ended (its upgrade failed) must not stay in the bridge, which points at bridged_.
  if (leg_ && !ended_) leg_->on_ended(close_code::normal, "leg gone");
  if (budget_charged_ > 0) ctx_.budget.release(budget_charged_);
}

template <class Machine>
void SessionDriver<Machine>::wake() {
  net::post(strand_, [self = this->shared_from_this()] {
    if (!self->ended_) self->pump();
  });
}

template <class Machine>
void SessionDriver<Machine>::start(std::shared_ptr<ClientConnection> client, ClientPeer peer) {
  net::post(strand_, [self = this->shared_from_this(), client = std::move(client), peer = std::move(peer)]() mutable {
    self->on_attach(std::move(client), std::nullopt, std::move(peer));
  });
}

template <class Machine>
void SessionDriver<Machine>::resume(std::shared_ptr<ClientConnection> client, std::uint64_t ack, ClientPeer peer) {
  net::post(strand_, [self = this->shared_from_this(), client = std::move(client), ack, peer = std::move(peer)]() mutable {
    self->on_attach(std::move(client), ack, std::move(peer));
  });
}

template <class Machine>
void SessionDriver<Machine>::shutdown(std::uint16_t code, std::string reason) {
  net::post(strand_, [self = this->shared_from_this(), code, reason = std::move(reason)] {
    self->machine_.shutdown(code, reason, self->now());
    self->pump();
  });
}

template <class Machine>
void SessionDriver<Machine>::on_attach(std::shared_ptr<ClientConnection> client, std::optional<std::uint64_t> ack,
                                       ClientPeer peer) {
  if (client_failing_) {  // the failed socket's last frames go first: they are part of the stream
    if (pending_attach_) close_client(pending_attach_->client, close_code::unknown_session, "superseded");
    pending_attach_ = PendingAttach{std::move(client), ack, std::move(peer)};
    return;
  }
  if (ended_) return close_client(client, close_code::unknown_session, "session has ended");
  if (ack) {
    // Checked before anything changes: a reconnect that cannot resume leaves the attached socket be.
    if (auto ok = machine_.check_reconnect(*ack); !ok) {
      log(LogLevel::warn, "sid=" + description_.sid + " reconnect from " + peer.text + " refused: " + ok.error().message);
      auto denied = audit_event(AuditEventType::policy_denied);
      denied.source_ip = peer.address;
      denied.source_port = peer.port;
      denied.path = peer.path;
      denied.close_code = close_code::unknown_session;
      denied.reason = "reconnect refused: " + ok.error().message;
      ctx_.audit(std::move(denied));
      return close_client(client, close_code::unknown_session, "cannot resume: " + ok.error().message);
    }
  }
  if (client_) {  // evict the old (often half-open) socket before taking over
    log(LogLevel::info, "sid=" + description_.sid + " reconnect from " + peer.text + " evicts the socket from " + peer_.text);
    drop_client();
  }
  if (auto ok = machine_.attach(ack, now()); !ok) return close_client(client, close_code::unknown_session, ok.error().message);
  client_ = std::move(client);
  ++generation_;
  peer_ = std::move(peer);
  close_written_ = false;
  client_closing_ = false;
  close_echo_.reset();
  control_out_.clear();
  if (ack) {
    log(LogLevel::info, "sid=" + description_.sid + " resumed from " + peer_.text + " at ack " + std::to_string(*ack));
  } else {
    log(LogLevel::info, "sid=" + description_.sid + " connected " + peer_.text + " -> " + description_.target.to_string() +
                            " (" + description_.kind + ") principal=" + description_.principal);
  }
  // Before any byte flows either way.
  if (ack) ++reconnects_;
  auto attached = audit_event(ack ? AuditEventType::session_reconnect : AuditEventType::session_start);
  attached.path = peer_.path;
  if (ack) {
    attached.bytes_up = machine_.bytes_up();
    attached.bytes_down = machine_.bytes_down();
    attached.resume_ack = *ack;
    attached.reconnect_count = reconnects_;
  } else {
    attached.dial_ms = description_.dial_ms;
  }
  ctx_.audit(std::move(attached));
  attached_ = true;
  if (leg_) {
    leg_->on_attached(bridged_, leg_joined_);
    leg_joined_ = true;
  }
  process_client_frames();  // bytes that came with the upgrade request
  pump();
}

template <class Machine>
void SessionDriver<Machine>::pump() {
  handle_events();
  settle_budget();
  if (handover_done_) {
    if (moving_client_ && client_ && !client_failing_) do_client_write();  // until the machine has nothing more
    return finish_handover_if_quiet();
  }
  if (client_ && !client_failing_) {
    do_client_write();
    do_client_read();
  }
  do_target_read();
  arm_timer();
}

// ------------------------------------------------------------------------------ handover

template <class Machine>
void SessionDriver<Machine>::hand_over(std::function<void(std::optional<HandedSession>)> done) {
  net::post(strand_, [self = this->shared_from_this(), done = std::move(done)]() mutable { self->begin_handover(std::move(done)); });
}

template <class Machine>
void SessionDriver<Machine>::begin_handover(std::function<void(std::optional<HandedSession>)> done) {
  if constexpr (!requires(const Machine& m) { m.snapshot(); }) {
    return done(std::nullopt);  // only v4 sessions resume, so only they can move
  } else {
    if (ended_ || leg_ || handover_done_) return done(std::nullopt);
    handover_done_ = std::move(done);
    if (pending_attach_) {
      pending_attach_->client->abort();
      pending_attach_.reset();
    }
    // A plain TCP client's socket moves with the session (its WebSocket goes on as if nothing happened);
    // a TLS one cannot (its keys stay in this process): it is dropped, and the client resumes on the
    // successor from what it received.
    if (client_ && !client_failing_) {
      moving_client_ = !client_->is_tls() && !close_written_ && !client_closing_;
      if (!moving_client_) {
        machine_.on_transport_lost("handed over to a new process", now());
        handle_events();
      }
    }
    pump();
  }
}

// Quiet means nothing in flight on either socket: the writes under way finish (the machine's output is
// taken and written until there is none), then the pending reads are cancelled — only then, as a
// cancel on a socket also cancels its write. Bytes the client sent meanwhile stay in the kernel, or in
// the reader as unparsed bytes, and move with it.
template <class Machine>
void SessionDriver<Machine>::finish_handover_if_quiet() {
  if constexpr (requires(const Machine& m) { m.snapshot(); }) {
    if (!handover_done_ || target_writing_ || client_writing_ || client_failing_) return;
    boost::system::error_code ignored;
    if (target_reading_) {
      if (!target_wait_cancelled_) target_.cancel(ignored);  // on_target_readable comes back here
      target_wait_cancelled_ = true;
      return;
    }
    if (client_ && client_reading_) {
      if (!client_read_cancelled_) client_->socket().cancel(ignored);  // on_client_read comes back here
      client_read_cancelled_ = true;
      return;
    }
    std::optional<std::span<const std::uint8_t>> unread;
    decltype(machine_.snapshot()) snapshot = local_error("not taken");
    if (client_ && moving_client_) {
      unread = client_->reader().unparsed();
      if (!unread) {
        snapshot = local_error("a message is half read");
      } else if (!control_out_.empty() || client_closing_ || close_written_) {
        snapshot = local_error("its socket is closing");
      } else {
        snapshot = machine_.snapshot();
      }
      if (!snapshot) {
        log(LogLevel::info, "sid=" + description_.sid + " moves without its socket: " + snapshot.error().message);
        moving_client_ = false;
        machine_.on_transport_lost("handed over to a new process", now());
        handle_events();  // drops the socket (unless the session has ended)
      }
    }
    if (client_ && !moving_client_) {
      snapshot = local_error("its client's socket could not be let go");
    } else if (!moving_client_) {
      snapshot = machine_.snapshot();
    }
    auto done = std::move(handover_done_);
    handover_done_ = nullptr;
    if (!snapshot || ended_) {
      log(LogLevel::info, "sid=" + description_.sid + " stays in this process: " +
                              (snapshot ? std::string("it ended") : snapshot.error().message));
      moving_client_ = false;
      done(std::nullopt);
      return pump();
    }
    HandedSession handed;
    handed.state = {{"sid", description_.sid},
                    {"principal", description_.principal},
                    {"target_user", description_.target_user},
                    {"target", description_.target.to_string()},
                    {"kind", description_.kind},
                    {"identity", {{"provider", description_.identity.provider},
                                  {"subject", description_.identity.subject},
                                  {"email", description_.identity.email}}},
                    {"dial_ms", description_.dial_ms},
                    {"reconnects", reconnects_},
                    {"source", peer_.address},
                    {"received", snapshot->stream.received},
                    {"ack_reported", snapshot->stream.ack_reported},
                    {"sent_high_water", snapshot->stream.sent_high_water},
                    {"acked", snapshot->stream.acked},
                    {"ack_flushed_at", snapshot->ack_flushed_at}};
    handed.unacked = std::move(snapshot->stream.unacked);
    boost::system::error_code ec;
    handed.target_fd = target_.release(ec);  // not closed, not shut down: the successor's now
    if (ec) {
      log(LogLevel::warn, "sid=" + description_.sid + " cannot release its target socket: " + ec.message());
      moving_client_ = false;
      done(std::nullopt);
      return pump();
    }
    if (moving_client_) {
      handed.client_unread.assign(unread->begin(), unread->end());
      handed.client_fd = client_->release();
      handed.state["client"] = {{"written", *snapshot->stream.written},
                                {"address", peer_.address},
                                {"port", peer_.port},
                                {"text", peer_.text},
                                {"path", peer_.path},
                                {"user_agent", peer_.user_agent},
                                {"max_message", client_->reader().max_message()},
                                {"unread", handed.client_unread.size()}};
      client_.reset();  // released: nothing to close here
      ++generation_;
      attached_ = false;
    }
    ended_ = true;
    target_closed_ = true;
    timer_.cancel();
    budget_timer_.cancel();
    ctx_.budget.release(budget_charged_);
    budget_charged_ = 0;
    auto event = audit_event(AuditEventType::session_handover);
    event.reason = handed.client_fd >= 0 ? "handed to a new process with its connection" : "handed to a new process";
    event.bytes_up = machine_.bytes_up();
    event.bytes_down = machine_.bytes_down();
    ctx_.audit(std::move(event));
    ctx_.registry.forget(description_.sid);
    log(LogLevel::info, "sid=" + description_.sid + " handed over (" + std::to_string(handed.unacked.size()) +
                            " bytes unacknowledged" + (handed.client_fd >= 0 ? ", its client's socket with it)" : ")"));
    done(std::move(handed));
  }
}

template <class Machine>
void SessionDriver<Machine>::adopt(std::uint32_t reconnects, std::shared_ptr<ClientConnection> client, ClientPeer peer) {
  reconnects_ = reconnects;
  peer_ = std::move(peer);
  const bool with_client = client && machine_.attached();
  auto event = audit_event(AuditEventType::session_handover);
  event.reason = with_client ? "taken over from the previous process with its connection"
                             : "taken over from the previous process";
  event.bytes_up = machine_.bytes_up();
  event.bytes_down = machine_.bytes_down();
  ctx_.audit(std::move(event));
  if (with_client) {
    log(LogLevel::info, "sid=" + description_.sid + " taken over with its client's socket (" + peer_.text + ")");
  } else {
    if (client) client->abort();  // its write position did not fit: the client resumes instead
    log(LogLevel::info, "sid=" + description_.sid + " taken over; waiting " + std::to_string(ctx_.config.grace.count()) +
                            " s for its client's reconnect");
  }
  net::post(strand_, [self = this->shared_from_this(), client = with_client ? std::move(client) : nullptr]() mutable {
    if (client) {
      self->client_ = std::move(client);
      ++self->generation_;
      self->attached_ = true;
      self->process_client_frames();  // what the predecessor had read but not parsed
    }
    self->pump();
  });
}

template <class Machine>
void SessionDriver<Machine>::handle_events() {
  while (auto event = machine_.next_event()) {
    if (auto* lost = std::get_if<TransportLost>(&*event)) {
      if (client_) {
        log(LogLevel::info, "sid=" + description_.sid + " detached (" + lost->why + ")" +
                                (machine_.ended() ? "" : "; waiting " + std::to_string(ctx_.config.grace.count()) +
                                                             " s for a reconnect"));
        drop_client();
        if (leg_ && !machine_.ended()) leg_->on_detached();
      }
    } else {
      const auto& ended = std::get<SessionEnded>(*event);
      on_ended(ended.code, ended.reason);
    }
  }
}

// ------------------------------------------------------------------------------ client -> target

template <class Machine>
void SessionDriver<Machine>::do_client_read() {
  if (!client_ || client_reading_ || client_failing_ || target_writing_ || ended_ || handover_done_) return;
  if (leg_ && leg_->saturated()) return;  // read again once the other leg took some (wake())
  client_reading_ = true;
  auto room = client_->reader().prepare(client_read_size_);
  client_->visit([&](auto& s) {
    s.async_read_some(boost::asio::buffer(room.data(), room.size()),
                      net::bind_executor(strand_, [self = this->shared_from_this(), client = client_,
                                                   generation = generation_](boost::system::error_code ec, std::size_t n) {
                        self->on_client_read(client, generation, ec, n);
                      }));
  });
}

template <class Machine>
void SessionDriver<Machine>::on_client_read(std::shared_ptr<ClientConnection> client, std::uint64_t generation,
                                            boost::system::error_code ec, std::size_t n) {
  if (client == lingering_) {  // closed by our close frame while this read was pending
    client_reading_ = false;
    lingering_.reset();
    if (!ec) client->reader().commit(n);  // perhaps the client's close frame: the linger looks
    return linger_close(std::move(client), lingering_close_received_);
  }
  // A superseded (evicted) socket's read: drop_client() already reset the flag, and a read on the new
  // socket may be pending now — touching it would start a second read on that stream.
  if (generation != generation_ || client != client_) return;
  client_reading_ = false;
  client_read_cancelled_ = false;
  client_->reader().commit(n);
  if (n == client_read_size_) {
    client_read_size_ = std::min(client_read_size_ * 2, session_driver_detail::kClientReadMax);
  } else if (n < client_read_size_ / 4) {
    client_read_size_ = std::max(client_read_size_ / 2, session_driver_detail::kClientReadMin);
  }
  if (client_failing_) return finish_failed_transport();  // a read cancelled by a failed write
  if (handover_done_ && moving_client_ && (!ec || ec == net::error::operation_aborted)) {
    process_client_frames();  // cancelled for the handover (or bytes came first): they go on as usual
    return pump();
  }
  if (ec) {
    if (n > 0) process_client_frames();
    return client_failed(ec == boost::asio::error::eof ? "the client closed the connection" : "read: " + ec.message());
  }
  process_client_frames();
  pump();
}

template <class Machine>
void SessionDriver<Machine>::process_client_frames() {
  if (!client_ || target_writing_) return;
  auto& reader = client_->reader();
  const auto t = now();
  while (!ended_ && !client_closing_) {
    auto event = reader.next();
    if (!event) {
      machine_.shutdown(reader.close_code(), event.error().message, t);
      handle_events();
      break;
    }
    if (!*event) break;
    if (auto* message = std::get_if<ws::Message>(&**event)) {
      if (auto payload = machine_.on_client_message(message->payload, message->binary, t); payload && !payload->empty()) {
        if (!client_banner_.done()) client_banner_.feed(*payload);
        if (leg_) {
          leg_->on_payload(*payload, reader.buffered() > 0, t);
        } else {
          target_batch_.emplace_back(payload->data(), payload->size());
          target_batch_bytes_ += payload->size();
        }
      }
      if (machine_.ended()) break;
    } else if (auto* ping = std::get_if<ws::Ping>(&**event)) {
      const auto header = ws::frame_header(ws::Opcode::pong, ping->payload.size());
      std::vector<std::uint8_t> pong(header.view().begin(), header.view().end());
      pong.insert(pong.end(), ping->payload.begin(), ping->payload.end());
      control_out_.push_back(std::move(pong));
    } else if (std::holds_alternative<ws::Pong>(**event)) {
      machine_.on_pong(t);
    } else {
      const auto& close = std::get<ws::Close>(**event);
      client_closing_ = true;
      close_echo_ = close.code;
      machine_.on_client_closed(close.code, t);
    }
  }
  if (!target_batch_.empty() && !target_closed_) return do_target_write();
  target_batch_.clear();
  target_batch_bytes_ = 0;
  reader.release();
}

template <class Machine>
void SessionDriver<Machine>::do_target_write() {
  target_writing_ = true;
  // The payloads live in this connection's read buffer: it stays alive until they are written, even if
  // a reconnect supersedes it meanwhile.
  net::async_write(target_, target_batch_,
                   net::bind_executor(strand_, [self = this->shared_from_this(), client = client_](
                                                   boost::system::error_code ec, std::size_t n) {
                     self->on_target_write(client, ec, n);
                   }));
}

template <class Machine>
void SessionDriver<Machine>::on_target_write(std::shared_ptr<ClientConnection> writer, boost::system::error_code ec,
                                             std::size_t n) {
  target_writing_ = false;
  target_batch_.clear();
  target_batch_bytes_ = 0;
  writer->reader().release();
  if (ended_) return pump();
  if (ec) {
    machine_.on_target_failed(ec.message(), now());
    return pump();
  }
  // During an upload burst (more of the client's frames already here) the machine may hold its ACK.
  const bool more_waiting = client_ && (client_->reader().buffered() > 0 || client_->available() > 0);
  machine_.on_target_written(n, more_waiting, now());
  if (client_failing_) return finish_failed_transport();
  process_client_frames();
  pump();
}

// ------------------------------------------------------------------------------ target -> client

template <class Machine>
void SessionDriver<Machine>::do_client_write() {
  if (!client_ || client_writing_ || client_failing_) return;
  write_headers_.clear();
  write_header_payloads_.clear();
  write_payloads_.clear();
  write_controls_.clear();
  write_buffers_.clear();
  std::size_t bytes = 0;
  std::size_t messages = 0;
  while (!control_out_.empty()) {
    write_controls_.push_back(std::move(control_out_.front()));
    control_out_.pop_front();
  }
  // Answer the client's close frame with ours (RFC 6455 §5.5.1); then nothing more is written.
  if (client_closing_ && close_echo_ && !close_written_) {
    const auto payload = *close_echo_ ? ws::close_payload(*close_echo_, "") : std::vector<std::uint8_t>{};
    const auto header = ws::frame_header(ws::Opcode::close, payload.size());
    std::vector<std::uint8_t> frame(header.view().begin(), header.view().end());
    frame.insert(frame.end(), payload.begin(), payload.end());
    write_controls_.push_back(std::move(frame));
    close_written_ = true;
  }
  // Pull the batch first, then take the buffers: the vectors stop growing (and moving) before any
  // pointer into them is taken, and an idle session keeps only what its small batches needed.
  // write_payloads_[i] is the payload framed by write_headers_[i] (none for a ping); a close frame
  // pulled here ends the batch and goes after them.
  const std::size_t leading_controls = write_controls_.size();
  const auto t = now();
  const bool pack = client_->packs_frames();
  std::size_t packed_bytes = 0;  // of the binary message the next one may join (0: none may)
  while (!close_written_ && write_payloads_.size() < session_driver_detail::kWriteBatchFrames &&
         bytes < session_driver_detail::kWriteBatchBytes) {
    auto out = machine_.next_client_output(t);
    if (!out) break;
    if (auto* message = std::get_if<SendMessage>(&*out)) {
      const std::size_t size = message->bytes->size();
      if (pack && packed_bytes > 0 && packed_bytes + size <= session_driver_detail::kPackedMessageBytes) {
        packed_bytes += size;
        write_headers_.back() = ws::frame_header(ws::Opcode::binary, packed_bytes);
        ++write_header_payloads_.back();
      } else {
        write_headers_.push_back(ws::frame_header(ws::Opcode::binary, size));
        write_header_payloads_.push_back(1);
        packed_bytes = size;
      }
      bytes += size;
      write_payloads_.push_back(std::move(message->bytes));
      ++messages;
    } else if (std::holds_alternative<SendPing>(*out)) {
      write_headers_.push_back(ws::frame_header(ws::Opcode::ping, 0));
      write_header_payloads_.push_back(1);
      write_payloads_.emplace_back();
      packed_bytes = 0;
    } else {
      const auto& close = std::get<SendClose>(*out);
      auto payload = ws::close_payload(close.code, close.reason);
      const auto header = ws::frame_header(ws::Opcode::close, payload.size());
      std::vector<std::uint8_t> frame(header.view().begin(), header.view().end());
      frame.insert(frame.end(), payload.begin(), payload.end());
      write_controls_.push_back(std::move(frame));
      close_written_ = true;
    }
  }
  for (std::size_t i = 0; i < leading_controls; ++i) {
    write_buffers_.emplace_back(write_controls_[i].data(), write_controls_[i].size());
  }
  for (std::size_t i = 0, payload = 0; i < write_headers_.size(); ++i) {
    write_buffers_.emplace_back(write_headers_[i].bytes.data(), write_headers_[i].size);
    for (std::size_t k = 0; k < write_header_payloads_[i]; ++k, ++payload) {
      if (write_payloads_[payload]) write_buffers_.emplace_back(write_payloads_[payload]->data(), write_payloads_[payload]->size());
    }
  }
  for (std::size_t i = leading_controls; i < write_controls_.size(); ++i) {
    write_buffers_.emplace_back(write_controls_[i].data(), write_controls_[i].size());
  }
  handle_events();  // pulling output may have ended the session (target EOF after the last byte)
  if (write_buffers_.empty()) return;
  client_writing_ = true;
  client_->visit([&](auto& s) {
    net::async_write(s, write_buffers_,
                     net::bind_executor(strand_, [self = this->shared_from_this(), client = client_, generation = generation_,
                                                  messages](boost::system::error_code ec, std::size_t) {
                       self->on_client_write(client, generation, ec, messages);
                     }));
  });
}

template <class Machine>
void SessionDriver<Machine>::on_client_write(std::shared_ptr<ClientConnection> client, std::uint64_t generation,
                                             boost::system::error_code ec, std::size_t messages) {
  // A superseded socket's write (aborted): the flag and the buffers now belong to the new socket's write.
  if (generation != generation_ || client != client_) return;
  client_writing_ = false;
  write_payloads_.clear();
  if (ec) return client_failed("write: " + ec.message());
  for (std::size_t i = 0; i < messages; ++i) machine_.on_client_written(now());
  if (close_written_) {  // the last frame: let the client close its side, then forget the socket
    auto closed = std::move(client_);
    ++generation_;
    attached_ = false;
    if (client_reading_) {
      // Beast allows one read at a time on a stream: the pending read ends first (cancelled), and
      // on_client_read hands the socket on to linger_close.
      lingering_ = closed;
      lingering_close_received_ = client_closing_;
      boost::system::error_code ignored;
      closed->socket().cancel(ignored);
    } else {
      linger_close(std::move(closed), client_closing_);
    }
    return pump();
  }
  pump();
}

template <class Machine>
void SessionDriver<Machine>::do_target_read() {
  if (leg_) {
    if (!ended_) leg_->pump(now());
    return;
  }
  if (target_reading_ || target_closed_ || ended_ || handover_done_ || !machine_.wants_target_data()) return;
  // Wait for bytes before taking any budget: an idle session holds none of it.
  target_reading_ = true;
  target_.async_wait(tcp::socket::wait_read,
                     net::bind_executor(strand_, [self = this->shared_from_this()](boost::system::error_code ec) {
                       self->on_target_readable(ec);
                     }));
}

template <class Machine>
void SessionDriver<Machine>::on_target_readable(boost::system::error_code ec) {
  target_reading_ = false;
  target_wait_cancelled_ = false;
  if (handover_done_) return pump();  // cancelled for the handover: nothing read
  if (ended_ || target_closed_) return;
  // A streaming target has more bytes by the time one read is framed: keep reading (a few times, while
  // each read is large and the machine wants more) before writing to the client. One readiness wait
  // (an epoll_ctl and an epoll_wait) and one gathered write then serve several reads.
  for (int reads = 0; !ec && reads < session_driver_detail::kTargetReadsPerWake; ++reads) {
    const std::size_t room = std::min(machine_.target_read_room(), session_driver_detail::kTargetReadSize);
    const std::size_t reserved = ctx_.budget.reserve(room, 1);
    if (reserved == 0) {  // the global budget is spent: try again shortly
      if (reads > 0) break;
      budget_timer_.expires_after(session_driver_detail::kBudgetRetry);
      budget_timer_.async_wait([self = this->shared_from_this()](boost::system::error_code e) {
        if (!e) self->do_target_read();
      });
      return;
    }
    const std::size_t n = read_target(reserved, ec);
    ctx_.budget.release(reserved - n);
    if (ec == net::error::would_block || ec == net::error::try_again) {
      ec = {};
      if (reads == 0) return do_target_read();  // woken for nothing
      break;
    }
    budget_charged_ += n;
    if (n < session_driver_detail::kTargetStreamingRead || !machine_.wants_target_data()) break;
  }
  if (ec) {
    const std::string reason =
        ec == net::error::eof ? "target closed the connection" : "target connection lost: " + ec.message();
    log(LogLevel::debug, "sid=" + description_.sid + " " + reason);
    machine_.on_target_eof(reason, now());
  }
  pump();
}

template <class Machine>
std::size_t SessionDriver<Machine>::read_target(std::size_t max, boost::system::error_code& ec) {
  using session_driver_detail::kTargetReadSize;
  if constexpr (requires(Machine& m, std::span<FrameBuffer> frames) { m.on_target_frames(frames, std::size_t{}, TimePoint{}); }) {
    // Straight into DATA frame buffers (one scattered read), which the machine keeps for the client
    // and for replay: no copy of the payload in the relay.
    constexpr std::size_t kPayload = v4::kMaxDataPayload;
    constexpr std::size_t kFrames = kTargetReadSize / kPayload;
    std::array<FrameBuffer, kFrames> frames;
    std::array<net::mutable_buffer, kFrames> buffers{};  // the unused ones stay empty
    const std::size_t count = std::min((max + kPayload - 1) / kPayload, kFrames);
    for (std::size_t i = 0; i < count; ++i) {
      frames[i] = FramePool::take();
      buffers[i] = net::buffer(frames[i]->data() + v4::kDataHeaderSize, std::min(kPayload, max - i * kPayload));
    }
    const std::size_t n = target_.read_some(buffers, ec);
    if (n > 0 && !target_banner_.done()) {
      target_banner_.feed(std::span(frames[0]->data() + v4::kDataHeaderSize, std::min(n, kPayload)));
    }
    if (n > 0) machine_.on_target_frames(std::span(frames.data(), count), n, now());
    return n;  // frames the read did not reach go back to the pool here
  } else {
    // Bytes are copied into the machine before the next read, so one buffer per thread serves every
    // session.
    thread_local std::vector<std::uint8_t> buffer(kTargetReadSize);
    const std::size_t n = target_.read_some(net::buffer(buffer.data(), std::min(max, buffer.size())), ec);
    if (n > 0 && !target_banner_.done()) target_banner_.feed(std::span(buffer.data(), n));
    if (n > 0) machine_.on_target_data(std::span(buffer.data(), n), now());
    return n;
  }
}

// ------------------------------------------------------------------------------ time

template <class Machine>
void SessionDriver<Machine>::arm_timer() {
  timer_.keep_at(machine_.next_deadline(), [self = this->shared_from_this()] { self->on_timer(); });
}

template <class Machine>
void SessionDriver<Machine>::on_timer() {
  machine_.on_timeout(now());
  pump();
}

// ------------------------------------------------------------------------------ endings

template <class Machine>
void SessionDriver<Machine>::client_failed(std::string why) {
  if (!client_ || client_failing_) return;
  client_failing_ = true;
  failing_why_ = std::move(why);
  if (client_reading_) {  // the pending read completes (cancelled) and finishes the job
    boost::system::error_code ignored;
    client_->socket().cancel(ignored);
    return;
  }
  finish_failed_transport();
}

template <class Machine>
void SessionDriver<Machine>::finish_failed_transport() {
  if (!client_ || target_writing_ || client_reading_) return;  // on_target_write / on_client_read come back here
  // Frames the client sent before it vanished, still in the kernel's buffer: read, parse and deliver
  // them, so the bytes the relay reports on the next reconnect are the bytes it really received.
  client_->reader().release();
  if (client_->drain_now(session_driver_detail::kDrainLimit) > 0 || client_->reader().buffered() > 0) {
    process_client_frames();
    if (target_writing_) return;
  }
  client_failing_ = false;
  const std::string why = std::move(failing_why_);
  machine_.on_transport_lost(why, now());
  handle_events();  // logs the detach and drops the socket
  if (client_) drop_client();
  pump();
  if (pending_attach_) {
    auto next = std::move(*pending_attach_);
    pending_attach_.reset();
    on_attach(std::move(next.client), next.ack, std::move(next.peer));
  }
}

template <class Machine>
void SessionDriver<Machine>::drop_client() {
  if (client_) client_->abort();
  client_.reset();
  ++generation_;
  attached_ = false;
  client_reading_ = false;
  client_writing_ = false;
  target_batch_.clear();
  target_batch_bytes_ = 0;
}

template <class Machine>
void SessionDriver<Machine>::on_ended(std::uint16_t code, const std::string& reason) {
  if (ended_) return;
  ended_ = true;
  std::ostringstream line;
  line << "sid=" << description_.sid << " closed " << code << " \"" << reason << "\" up=" << machine_.bytes_up()
       << " down=" << machine_.bytes_down();
  log(LogLevel::info, line.str());
  auto closed = audit_event(AuditEventType::session_close);
  closed.bytes_up = machine_.bytes_up();
  closed.bytes_down = machine_.bytes_down();
  closed.duration_ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_at_).count());
  closed.close_code = code;
  closed.close_reason = reason;
  if (code != close_code::normal) closed.error = reason;
  closed.reconnect_count = reconnects_;
  closed.client_banner = client_banner_.line();
  closed.target_banner = target_banner_.line();
  ctx_.audit(std::move(closed));
  timer_.cancel();
  budget_timer_.cancel();
  boost::system::error_code ignored;
  target_.shutdown(tcp::socket::shutdown_both, ignored);
  target_.close(ignored);
  target_closed_ = true;
  source_port_.reset();
  ctx_.budget.release(budget_charged_);
  budget_charged_ = 0;
  if (leg_) leg_->on_ended(code, reason);
  std::optional<SessionEnding> ending;
  if (machine_.ended_cleanly()) ending = SessionEnding{description_.principal, code, reason};
  ctx_.registry.remove(description_.sid, std::move(ending), std::chrono::steady_clock::now() + ctx_.config.grace);
  if (!client_) attached_ = false;
}

template <class Machine>
void SessionDriver<Machine>::settle_budget() {
  if (leg_) {
    // A leg's bytes arrive from the other leg, not from a read that reserved them first: charge what it
    // holds (its replay and what waits in the bridge from its client) as it changes. The budget may go
    // over its limit by what is in flight; the links then stop reading clients until it is back under.
    const std::size_t held = ended_ ? 0 : machine_.held_bytes() + leg_->queued();
    if (held > budget_charged_) ctx_.budget.charge(held - budget_charged_);
    if (held < budget_charged_) ctx_.budget.release(budget_charged_ - held);
    budget_charged_ = held;
    return;
  }
  const std::size_t held = machine_.held_bytes();
  if (budget_charged_ > held) {
    ctx_.budget.release(budget_charged_ - held);
    budget_charged_ = held;
  }
}

template <class Machine>
AuditEvent SessionDriver<Machine>::audit_event(AuditEventType type) const {
  auto event = session_audit_event(type, description_, peer_);
  if (leg_) {  // no target: the rendezvous and the slot say where the bytes went
    leg_->describe(event);
    return event;
  }
  event.target = description_.target.to_string();
  event.target_user = description_.target_user;
  event.resolved_ip = target_endpoint_.address().to_string();
  event.resolved_port = target_endpoint_.port();
  event.relay_ip = relay_endpoint_.address().to_string();
  event.relay_source_port = relay_endpoint_.port();
  return event;
}

}  // namespace sshrelay::daemon
