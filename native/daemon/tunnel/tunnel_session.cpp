#include "native/daemon/tunnel/tunnel_session.hpp"

#include <openssl/rand.h>

#include <array>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "core/wire/close_code.hpp"
#include "core/wire/websocket_frames.hpp"
#include "native/daemon/log.hpp"
#include "native/daemon/tunnel/tunnel_hub.hpp"

namespace sshrelay::daemon {
namespace {

std::vector<std::uint8_t> random_id_bytes() {
  std::vector<std::uint8_t> random(tunnel::kRandomBytesPerId);
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) random.clear();
  return random;
}

}  // namespace

TunnelSession::TunnelSession(RelayContext& ctx, Strand strand, SessionDescription description)
    : ctx_(ctx),
      strand_(std::move(strand)),
      description_(std::move(description)),
      channel_(tunnel::ChannelLimits{std::chrono::duration_cast<Duration>(ctx.config.tunnel_response_timeout)}),
      timer_(strand_) {}

std::shared_ptr<Session> make_tunnel_session(RelayContext& ctx, Strand strand, SessionDescription description) {
  return std::make_shared<TunnelSession>(ctx, std::move(strand), std::move(description));
}

void TunnelSession::start(std::shared_ptr<ClientConnection> client, ClientPeer peer) {
  net::dispatch(strand_, [self = shared_from_this(), client = std::move(client), peer = std::move(peer)]() mutable {
    self->client_ = std::move(client);
    self->peer_ = std::move(peer);
    self->started_at_ = self->last_heard_ = std::chrono::steady_clock::now();
    self->next_ping_ = self->started_at_ + self->ctx_.config.ping_interval;
    auto added = self->ctx_.tunnels->add(self, self->description_.tunnel_stable_subdomain ? &self->description_.principal : nullptr);
    if (!added) {
      log(LogLevel::warn, "sid=" + self->description_.sid + " tunnel refused: " + added.error().message);
      auto refused = self->audit_event(AuditEventType::policy_denied);
      refused.close_code = close_code::session_cap;
      refused.reason = added.error().message;
      self->ctx_.audit(std::move(refused));
      self->ended_ = true;
      self->ctx_.registry.remove(self->description_.sid);
      close_client(std::move(self->client_), close_code::session_cap, added.error().message);
      return;
    }
    self->key_ = added->key;
    self->subdomain_ = added->subdomain;
    self->raw_port_ = added->raw_port;
    self->open_raw_port();
    const auto url = self->ctx_.tunnels->url_for(self->subdomain_);
    const auto ready = tunnel::to_json(tunnel::TunnelReady{url, self->raw_port_, self->streams()});
    self->queue_frame(ws::Opcode::text, std::vector<std::uint8_t>(ready.begin(), ready.end()));
    log(LogLevel::info, "sid=" + self->description_.sid + " tunnel " + self->subdomain_ + " open for " +
                            self->description_.principal + ": " + (url.empty() ? "no subdomain" : url) + ", raw port " +
                            (self->raw_port_ ? std::to_string(self->raw_port_) : "none"));
    self->ctx_.audit(self->audit_event(AuditEventType::tunnel_open));
    self->do_client_write();
    self->do_client_read();
    self->arm_timer();
  });
}

// A port another program holds stays this tunnel's (core/tunnel/tunnel_registry.hpp says why); the client
// is told it has none.
void TunnelSession::open_raw_port() {
  if (raw_port_ == 0) return;
  boost::system::error_code ec;
  const auto address = net::ip::make_address(ctx_.config.tunnel_listen_host, ec);
  tcp::endpoint endpoint(address, raw_port_);
  acceptor_.emplace(strand_);
  if (!ec) acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    log(LogLevel::warn, "sid=" + description_.sid + " tunnel " + subdomain_ + ": cannot listen on " +
                            ctx_.config.tunnel_listen_host + ":" + std::to_string(raw_port_) + ": " + ec.message());
    acceptor_.reset();
    raw_port_ = 0;
    return;
  }
  do_accept();
}

void TunnelSession::do_accept() {
  acceptor_->async_accept([self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
    if (self->ended_ || ec == net::error::operation_aborted) return;
    if (ec) {
      log(LogLevel::debug, "tunnel " + self->subdomain_ + " accept: " + ec.message());
      return self->do_accept();
    }
    // Over either cap the connection is closed at once, with no tcp_open (as wsproxy does).
    if (!self->ctx_.tunnels->begin_tcp()) {
      log(LogLevel::warn, "tunnel " + self->subdomain_ + ": raw connection refused, relay-wide cap --tunnel-max-tcp reached");
    } else if (auto id = self->channel_.open_connection(random_id_bytes())) {
      self->connections_.emplace(*id, std::make_shared<RawConnection>(VisitorStream(PlainStream(std::move(socket)))));
      self->act();
      self->do_raw_read(*id);
    } else {
      self->ctx_.tunnels->end_tcp();
      log(LogLevel::info, "tunnel " + self->subdomain_ + ": raw connection refused, " +
                              std::to_string(self->channel_.open_connections()) + " open (the per-tunnel cap)");
    }
    boost::system::error_code ignored;
    if (socket.is_open()) socket.close(ignored);
    self->do_accept();
  });
}

void TunnelSession::http_request(std::string method, std::string target, tunnel::HeaderList headers, std::string body,
                                 AnswerHandler done) {
  net::post(strand_, [self = shared_from_this(), method = std::move(method), target = std::move(target),
                      headers = std::move(headers), body = std::move(body), done = std::move(done)]() mutable {
    if (self->ended_) return done(tunnel::plain_answer("", 502, "tunnel disconnected\n"));
    auto id = self->channel_.start_request(std::chrono::steady_clock::now(), std::move(method), std::move(target),
                                           std::move(headers), std::move(body), random_id_bytes());
    if (!id) return done(tunnel::plain_answer("", 502, "the tunnel could not take the request\n"));
    self->waiting_.emplace(*id, std::move(done));
    self->act();
    self->arm_timer();
  });
}

void TunnelSession::adopt_visitor(VisitorStream stream, std::vector<std::uint8_t> first, std::string client_ip) {
  net::post(strand_, [self = shared_from_this(), stream = std::move(stream), first = std::move(first),
                      client_ip = std::move(client_ip)]() mutable {
    auto connection = std::make_shared<RawConnection>(std::move(stream));
    connection->response.emplace();
    connection->visitor_ip = std::move(client_ip);
    auto id = self->ended_ ? std::nullopt : self->channel_.open_connection(random_id_bytes());
    if (!id) {
      // The tunnel ended meanwhile, or has as many connections as it may: the visitor is told, then closed.
      const auto why = self->ended_ ? "tunnel disconnected\n" : "the tunnel has too many open connections\n";
      self->ctx_.tunnels->end_http(connection->visitor_ip);
      const auto answer = std::make_shared<std::string>(
          tunnel::streamed_plain_response(self->ended_ ? 502 : 503, self->ended_ ? "Bad Gateway" : "Service Unavailable", why));
      std::visit([&](auto& s) {
        beast::get_lowest_layer(s).expires_after(std::chrono::seconds(30));
        net::async_write(s, net::buffer(*answer), [connection, answer](boost::system::error_code, std::size_t) {
          std::visit([](auto& visitor) { beast::get_lowest_layer(visitor).close(); }, connection->stream);
        });
      }, connection->stream);
      return;
    }
    ++self->streamed_requests_;
    self->connections_.emplace(*id, connection);
    self->channel_.connection_data(*id, first);
    self->act();
    self->do_raw_read(*id);
  });
}

void TunnelSession::do_client_read() {
  if (client_reading_ || !client_) return;
  for (const auto& [id, connection] : connections_) {
    if (connection->queued >= kMaxQueued) return;  // read on once that socket drains (do_raw_write)
  }
  client_reading_ = true;
  auto room = client_->reader().prepare(64 * 1024);
  client_->visit([&](auto& s) {
    s.async_read_some(boost::asio::buffer(room.data(), room.size()),
                      net::bind_executor(strand_, [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                        self->on_client_read(ec, n);
                      }));
  });
}

void TunnelSession::on_client_read(boost::system::error_code ec, std::size_t n) {
  client_reading_ = false;
  if (!client_) return;
  auto& reader = client_->reader();
  reader.commit(n);
  if (ended_) return on_read_while_closing(ec);
  if (n > 0) last_heard_ = std::chrono::steady_clock::now();
  std::optional<std::pair<std::uint16_t, std::string>> ending;
  while (!ending) {
    auto next = reader.next();
    if (!next) {
      ending.emplace(reader.close_code(), next.error().message);
      break;
    }
    if (!*next) break;
    if (auto* message = std::get_if<ws::Message>(&**next)) {
      if (message->binary) {
        channel_.on_binary(message->payload);
      } else {
        channel_.on_text(std::string_view(reinterpret_cast<const char*>(message->payload.data()), message->payload.size()));
      }
    } else if (auto* ping = std::get_if<ws::Ping>(&**next)) {
      queue_frame(ws::Opcode::pong, ping->payload);
    } else if (std::holds_alternative<ws::Close>(**next)) {
      ending.emplace(close_code::normal, "the tunnel client closed it");
    }
  }
  reader.release();
  if (!ending && ec) {
    drop_client();
    ending.emplace(close_code::normal, "the tunnel client's connection ended (" + ec.message() + ")");
  }
  if (ending) return end(ending->first, std::move(ending->second));
  act();
  do_client_read();
}

void TunnelSession::act() {
  while (auto event = channel_.next_event()) {
    if (auto* answer = std::get_if<tunnel::HttpAnswer>(&*event)) {
      deliver(std::move(*answer));
    } else if (auto* data = std::get_if<tunnel::ConnectionData>(&*event)) {
      const auto it = connections_.find(data->conn_id);
      if (it == connections_.end() || it->second->closing) continue;
      auto& connection = *it->second;
      if (connection.response) {
        data->bytes = connection.response->feed(data->bytes);
        if (connection.response->failed()) {
          answer_visitor_failure(connection, connection.response->failure());
          channel_.connection_closed(data->conn_id);  // the client hears tcp_close; the socket closes once written
        }
      }
      if (!data->bytes.empty()) {
        connection.queued += data->bytes.size();
        connection.out.push_back(std::move(data->bytes));
      }
      do_raw_write(data->conn_id);
    } else if (auto* close = std::get_if<tunnel::CloseConnection>(&*event)) {
      const auto it = connections_.find(close->conn_id);
      if (it == connections_.end()) continue;
      if (it->second->response && !it->second->response->answered()) {
        answer_visitor_failure(*it->second, "the tunnel client ended the connection without an answer");
      }
      it->second->closing = true;
      do_raw_write(close->conn_id);  // closes it once what is queued is written
    }
  }
  while (auto message = channel_.next_message()) {
    queue_frame(message->binary ? ws::Opcode::binary : ws::Opcode::text, message->bytes);
  }
  do_client_write();
}

void TunnelSession::answer_visitor_failure(RawConnection& connection, std::string why) {
  connection.closing = true;
  if (connection.answer_written || (connection.response && connection.response->answered())) return;
  connection.answer_written = true;
  log(LogLevel::info, "tunnel " + subdomain_ + ": streamed request answered 502: " + why);
  const auto answer = tunnel::streamed_plain_response(502, "Bad Gateway", why + "\n");
  connection.queued += answer.size();
  connection.out.emplace_back(answer.begin(), answer.end());
}

void TunnelSession::deliver(tunnel::HttpAnswer answer) {
  const auto it = waiting_.find(answer.id);
  if (it == waiting_.end()) return;  // the visitor's request was never ours to answer (already answered)
  auto done = std::move(it->second);
  waiting_.erase(it);
  done(std::move(answer));
}

void TunnelSession::queue_frame(ws::Opcode opcode, const std::vector<std::uint8_t>& payload) {
  const auto header = ws::frame_header(opcode, payload.size());
  std::vector<std::uint8_t> frame(header.view().begin(), header.view().end());
  frame.insert(frame.end(), payload.begin(), payload.end());
  to_client_bytes_ += frame.size();
  to_client_.push_back(std::move(frame));
}

void TunnelSession::do_client_write() {
  if (client_writing_ || !client_ || to_client_.empty()) return;
  std::vector<net::const_buffer> buffers;
  while (!to_client_.empty() && writing_frames_.size() < 64) {
    writing_frames_.push_back(std::move(to_client_.front()));
    to_client_.pop_front();
    buffers.emplace_back(net::buffer(writing_frames_.back()));
  }
  client_writing_ = true;
  client_->visit([&](auto& s) {
    net::async_write(s, buffers, net::bind_executor(strand_, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                       self->client_writing_ = false;
                       for (const auto& frame : self->writing_frames_) self->to_client_bytes_ -= frame.size();
                       self->writing_frames_.clear();
                       if (ec) {
                         self->drop_client();
                         return self->end(close_code::normal, "the tunnel client's connection ended (" + ec.message() + ")");
                       }
                       self->do_client_write();
                       self->read_connections();
                     }));
  });
}

void TunnelSession::read_connections() {
  if (ended_) return;
  std::vector<std::string> ids;
  for (const auto& [id, connection] : connections_) ids.push_back(id);
  for (const auto& id : ids) do_raw_read(id);
}

void TunnelSession::do_raw_read(const std::string& id) {
  const auto it = connections_.find(id);
  if (it == connections_.end() || ended_) return;
  auto connection = it->second;
  if (connection->reading || connection->closing || to_client_bytes_ >= kMaxQueued) return;
  connection->reading = true;
  std::visit([&](auto& stream) {
  // wsproxy's idle limit for a raw connection: five minutes without a byte from it.
  beast::get_lowest_layer(stream).expires_after(std::chrono::minutes(5));
  stream.async_read_some(
      net::buffer(connection->buffer),
      net::bind_executor(strand_, [self = shared_from_this(), id, connection](boost::system::error_code ec, std::size_t n) {
        connection->reading = false;
        if (self->ended_ || !self->connections_.contains(id)) return;
        if (n > 0) self->channel_.connection_data(id, std::span(connection->buffer.data(), n));
        if (ec) {
          self->close_raw(id);
        } else {
          self->do_raw_read(id);
        }
        self->act();
      }));
  }, connection->stream);
}

void TunnelSession::do_raw_write(const std::string& id) {
  const auto it = connections_.find(id);
  if (it == connections_.end()) return;
  auto connection = it->second;
  if (connection->writing) return;
  if (connection->out.empty()) {
    if (connection->closing) close_raw(id);
    return;
  }
  connection->writing = true;
  std::visit([&](auto& stream) {
  // wsproxy's write deadline: a raw connection that takes no bytes for 30 s is closed.
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
  net::async_write(stream, net::buffer(connection->out.front()),
                   net::bind_executor(strand_, [self = shared_from_this(), id, connection](boost::system::error_code ec, std::size_t) {
                     connection->writing = false;
                     connection->queued -= connection->out.front().size();
                     connection->out.pop_front();
                     if (self->ended_ || !self->connections_.contains(id)) return;
                     if (ec) {
                       self->close_raw(id);
                       self->act();
                     } else {
                       self->do_raw_write(id);
                     }
                     self->do_client_read();
                   }));
  }, connection->stream);
}

void TunnelSession::close_raw(const std::string& id) {
  const auto it = connections_.find(id);
  if (it == connections_.end()) return;
  auto connection = it->second;
  connections_.erase(it);
  std::visit([](auto& stream) {
    auto& lowest = beast::get_lowest_layer(stream);
    boost::system::error_code ignored;
    lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest.close();
  }, connection->stream);
  if (connection->response) {
    ctx_.tunnels->end_http(connection->visitor_ip);
  } else {
    ctx_.tunnels->end_tcp();
  }
  channel_.connection_closed(id);  // tcp_close to the client, unless it closed this one itself
}

void TunnelSession::arm_timer() {
  if (ended_) return;
  auto next = next_ping_;
  if (const auto deadline = channel_.next_deadline(); deadline && *deadline < next) next = *deadline;
  timer_.expires_at(next);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->on_timer();
  });
}

void TunnelSession::on_timer() {
  if (ended_) return;
  const auto now = std::chrono::steady_clock::now();
  channel_.on_timeout(now);
  if (now >= next_ping_) {
    if (now - last_heard_ > 3 * ctx_.config.ping_interval) {
      return end(close_code::going_away, "the tunnel client stopped answering");
    }
    queue_frame(ws::Opcode::ping, {});
    next_ping_ = now + ctx_.config.ping_interval;
  }
  act();
  arm_timer();
}

void TunnelSession::shutdown(std::uint16_t code, std::string reason) {
  net::dispatch(strand_, [self = shared_from_this(), code, reason = std::move(reason)]() mutable {
    self->end(code, std::move(reason));
  });
}

void TunnelSession::resume(std::shared_ptr<ClientConnection> client, std::uint64_t, ClientPeer) {
  close_client(std::move(client), close_code::unknown_session, "a tunnel does not resume; register a new one");
}

void TunnelSession::end(std::uint16_t code, std::string reason) {
  if (ended_) return;
  ended_ = true;
  timer_.cancel();
  if (acceptor_) {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
  }
  if (key_) ctx_.tunnels->remove(key_);
  // Every waiting visitor is answered 502 and every raw connection closed, now.
  // (The channel has answered every request it knows of and forgotten every connection, so close_raw
  // says nothing more to the client.)
  channel_.on_ended();
  while (auto event = channel_.next_event()) {
    if (auto* answer = std::get_if<tunnel::HttpAnswer>(&*event)) deliver(std::move(*answer));
  }
  while (!connections_.empty()) close_raw(connections_.begin()->first);

  log(LogLevel::info, "sid=" + description_.sid + " tunnel " + subdomain_ + " closed " + std::to_string(code) + " \"" + reason +
                          "\" requests=" + std::to_string(channel_.requests_started() + streamed_requests_) +
                          " connections=" + std::to_string(channel_.connections_opened() - streamed_requests_));
  auto closed = audit_event(AuditEventType::tunnel_close);
  closed.close_code = code;
  closed.close_reason = reason;
  closed.tunnel_requests = channel_.requests_started() + streamed_requests_;
  closed.tunnel_connections = channel_.connections_opened() - streamed_requests_;  // raw-port ones
  closed.duration_ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_at_).count());
  ctx_.audit(std::move(closed));
  ctx_.registry.remove(description_.sid);

  // Our close frame goes after what is queued; the client's answer (or, at most 5 s later, the timer)
  // drops the connection. Reading goes on meanwhile only to see that answer.
  if (!client_) return;
  queue_frame(ws::Opcode::close, ws::close_payload(code, close_reason_text(reason)));
  do_client_write();
  do_client_read();
  timer_.expires_after(std::chrono::seconds(5));
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->drop_client();
  });
}

void TunnelSession::on_read_while_closing(boost::system::error_code ec) {
  auto& reader = client_->reader();
  bool answered = false;
  for (;;) {
    auto next = reader.next();
    if (!next || !*next) {
      answered = !next;  // a protocol error: nothing more worth waiting for
      break;
    }
    if (std::holds_alternative<ws::Close>(**next)) {
      answered = true;
      break;
    }
  }
  reader.release();
  if (answered || ec) return drop_client();
  do_client_read();
}

void TunnelSession::drop_client() {
  if (!client_) return;
  timer_.cancel();
  client_->abort();
  client_.reset();
}

AuditEvent TunnelSession::audit_event(AuditEventType type) const {
  auto event = session_audit_event(type, description_, peer_);
  event.path = peer_.path;
  // Where the tunnel is reached: its URL (or its subdomain without a tunnel domain) and its raw port.
  const auto url = ctx_.tunnels ? ctx_.tunnels->url_for(subdomain_) : std::string();
  event.target = url.empty() ? subdomain_ : url;
  event.resolved_port = raw_port_;
  return event;
}

}  // namespace sshrelay::daemon
