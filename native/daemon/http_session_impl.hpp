#pragma once
// HttpSession's member definitions. Each stream type is instantiated in its own .cpp: one Beast
// WebSocket/TLS instantiation per translation unit keeps the compiler's memory within bounds.
#include "native/daemon/http_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <openssl/rand.h>

#include "core/client_address.hpp"
#include "core/session_id.hpp"
#include "core/close_code.hpp"
#include "native/daemon/identity/authenticator.hpp"
#include "native/daemon/log.hpp"
#include "native/daemon/relay_session.hpp"

namespace sshrelay::daemon {
namespace http_session_detail {

constexpr std::size_t kBodyLimit = 8 * 1024;
constexpr std::size_t kHeaderLimit = 8 * 1024;  // request line and headers together
// After refusing a malformed request, read (and drop) what the client still sends for this long, so that
// closing with unread bytes does not reset the connection before the client has read the answer.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = 256 * 1024;

inline bool offers_ssh_subprotocol(const Request& req) {
  const auto offered = req[http::field::sec_websocket_protocol];
  std::size_t pos = 0;
  while (pos <= offered.size()) {
    auto comma = offered.find(',', pos);
    if (comma == std::string_view::npos) comma = offered.size();
    auto token = offered.substr(pos, comma - pos);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (token == "ssh") return true;
    pos = comma + 1;
  }
  return false;
}

inline std::string new_session_id() {
  std::array<std::uint8_t, 16> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  return make_session_id(random).value();
}

}  // namespace http_session_detail

using namespace http_session_detail;

template <class Stream>
HttpSession<Stream>::HttpSession(RelayContext& ctx, boost::asio::ip::tcp::socket&& socket)
    : ctx_(ctx), stream_([&]() -> Stream {
        if constexpr (kTls) {
          return Stream(std::move(socket), *ctx.tls);
        } else {
          return Stream(std::move(socket));
        }
      }()) {
  beast::error_code ec;
  const auto endpoint = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
  peer_ip_ = ec ? "?" : endpoint.address().to_string();
  peer_port_ = ec ? 0 : endpoint.port();
  peer_ = ec ? "?" : peer_ip_ + ":" + std::to_string(endpoint.port());
}

template <class Stream>
void HttpSession<Stream>::run() {
  net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
    if constexpr (kTls) {
      beast::get_lowest_layer(self->stream_).expires_after(self->ctx_.config.request_timeout);
      self->stream_.async_handshake(net::ssl::stream_base::server,
                                    beast::bind_front_handler(&HttpSession::on_handshake, self));
    } else {
      self->do_read();
    }
  });
}

template <class Stream>
void HttpSession<Stream>::on_handshake(beast::error_code ec) {
  if (ec) return log(LogLevel::debug, "TLS handshake from " + peer_ + ": " + ec.message());
  do_read();
}

template <class Stream>
void HttpSession<Stream>::do_read() {
  parser_.emplace();
  parser_->body_limit(kBodyLimit);
  parser_->header_limit(kHeaderLimit);
  beast::get_lowest_layer(stream_).expires_after(ctx_.config.request_timeout);
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::on_read, this->shared_from_this()));
}

template <class Stream>
void HttpSession<Stream>::on_read(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream) return do_close();
  if (ec == http::error::header_limit) {
    return reject(http::status::request_header_fields_too_large,
                  "the request line and headers exceed " + std::to_string(kHeaderLimit / 1024) + " KiB\n");
  }
  if (ec == http::error::body_limit) {
    return reject(http::status::payload_too_large, "the request body exceeds " + std::to_string(kBodyLimit / 1024) + " KiB\n");
  }
  // Any other parse error (method, target, version, header syntax): the client is told, not reset.
  if (ec.category() == http::make_error_code(http::error::bad_method).category() && ec != http::error::partial_message) {
    return reject(http::status::bad_request, "malformed HTTP request: " + ec.message() + "\n");
  }
  if (ec) return;  // timeouts and resets on idle keep-alive connections are normal
  request_ = parser_->release();
  auto routed = route(ctx_, request_);
  if (auto* v4 = std::get_if<V4Request>(&routed)) return start_v4(std::move(*v4));
  auto& response = std::get<http::message_generator>(routed);
  const bool keep_alive = response.keep_alive();
  beast::async_write(stream_, std::move(response),
                     beast::bind_front_handler(&HttpSession::on_write, this->shared_from_this(), keep_alive));
}

template <class Stream>
void HttpSession<Stream>::on_write(bool keep_alive, beast::error_code ec, std::size_t) {
  if (ec) return;
  if (!keep_alive) return do_close();
  do_read();
}

template <class Stream>
void HttpSession<Stream>::reject(http::status status, std::string body) {
  http::response<http::string_body> res{status, 11};
  res.set(http::field::server, "sshrelayd");
  res.set(http::field::content_type, "text/plain");
  res.keep_alive(false);
  res.body() = std::move(body);
  res.prepare_payload();
  log(LogLevel::debug, "request from " + peer_ + " refused: " + std::to_string(res.result_int()));
  beast::get_lowest_layer(stream_).expires_after(kLingerTime);
  beast::async_write(stream_, http::message_generator(std::move(res)),
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return;
                       beast::error_code ignored;
                       beast::get_lowest_layer(self->stream_).socket().shutdown(tcp::socket::shutdown_send, ignored);
                       self->linger(0);
                     });
}

template <class Stream>
void HttpSession<Stream>::linger(std::size_t drained) {
  auto& socket = beast::get_lowest_layer(stream_);
  if (drained >= kLingerBytes) return;  // the destructor closes the socket
  buffer_.clear();
  socket.async_read_some(buffer_.prepare(16 * 1024), [self = this->shared_from_this(), drained](beast::error_code ec,
                                                                                                   std::size_t n) {
    if (!ec) self->linger(drained + n);
  });
}

template <class Stream>
void HttpSession<Stream>::do_close() {
  beast::error_code ec;
  if constexpr (kTls) {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
    stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
  } else {
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
  }
}

template <class Stream>
void HttpSession<Stream>::start_v4(V4Request request) {
  client_ip_ = effective_client_address(peer_ip_, request_["X-Forwarded-For"], ctx_.config.trusted_proxies);
  if (auto* refusal = std::get_if<WsRefusal>(&request)) {
    return deny(AuditEventType::policy_denied, refusal->code, refusal->reason, refusal->reason);
  }
  if (auto* connect = std::get_if<V4Connect>(&request)) target_ = connect->target.to_string();
  if (!ctx_.connect_rate.allow(client_ip_, std::chrono::steady_clock::now())) {
    log(LogLevel::warn, "connection attempts from " + client_ip_ + " over the rate limit");
    return deny(AuditEventType::policy_denied, close_code::session_cap,
                "too many connection attempts; try again in a minute", "connection rate limit");
  }
  ctx_.authenticator->async_authenticate(
      request_, [self = this->shared_from_this(), request = std::move(request)](Result<identity::Principal> who) mutable {
        net::post(self->stream_.get_executor(), [self, request = std::move(request), who = std::move(who)]() mutable {
          self->on_authenticated(std::move(request), std::move(who));
        });
      });
}

template <class Stream>
void HttpSession<Stream>::on_authenticated(V4Request request, Result<identity::Principal> who) {
  if (!who) {
    // The log and the audit trail get the check that failed; the client learns as much when its token is
    // at fault, and only that the relay could not check it otherwise.
    log(LogLevel::warn, "request from " + client_ip_ + " refused: " + who.error().message);
    const bool relay_side = who.error().kind == ErrorKind::local;
    return deny(AuditEventType::auth_denied, close_code::identity_invalid,
                relay_side ? "identity could not be verified; try again later" : "identity: " + who.error().message,
                who.error().message);
  }
  principal_ = identity::principal_view(*who);
  if (auto* reconnect = std::get_if<V4Reconnect>(&request)) {
    requested_sid_ = reconnect->sid;
    auto session = ctx_.registry.find(reconnect->sid);
    // Another principal's session is reported exactly like a missing one: sids are not to be probed.
    if (!session || session->principal() != principal_.name) {
      const std::string why = session ? "reconnect to a session owned by " + session->principal() : "unknown session";
      if (session) log(LogLevel::warn, "sid=" + session->sid() + " reconnect by " + principal_.name + " refused: not the owner");
      return deny(AuditEventType::policy_denied, close_code::unknown_session, "unknown session", why);
    }
    const auto ack = reconnect->ack;
    return upgrade([session, ack, peer = client_peer()](std::shared_ptr<ClientSocket> ws) {
      if (ws) session->attach(std::move(ws), ack, peer);
    });
  }
  auto connect = std::get<V4Connect>(std::move(request));
  switch (ctx_.registry.try_reserve(principal_.name)) {
    case SessionRegistry::Reservation::granted: break;
    case SessionRegistry::Reservation::total_full:
      return deny(AuditEventType::policy_denied, close_code::session_cap, "too many sessions on this relay",
                  "relay session cap");
    case SessionRegistry::Reservation::principal_full:
      return deny(AuditEventType::policy_denied, close_code::session_cap, "you have too many sessions open on this relay",
                  "per-principal session cap");
  }
  // The session's strand exists before its target socket, so the socket lives on it from birth, on
  // the io_context (thread) of this connection.
  auto& home = static_cast<net::io_context&>(
      net::query(beast::get_lowest_layer(stream_).get_executor(), net::execution::context));
  session_strand_.emplace(net::make_strand(home));
  DialRequest dial{connect.target, principal_, &ctx_.policy, ctx_.source_ports,
                   std::chrono::duration_cast<std::chrono::milliseconds>(ctx_.config.connect_timeout)};
  async_dial(*session_strand_, std::move(dial),
             [self = this->shared_from_this(), connect](DialOutcome outcome) mutable {
               net::post(self->stream_.get_executor(), [self, connect = std::move(connect), outcome = std::move(outcome)]() mutable {
                 self->on_dialed(std::move(connect), std::move(outcome));
               });
             });
}

template <class Stream>
void HttpSession<Stream>::on_dialed(V4Connect connect, DialOutcome outcome) {
  if (outcome.error) {
    ctx_.registry.cancel_reservation(principal_.name);
    log(LogLevel::info, "connect from " + peer_ + " to " + connect.target.to_string() + " refused: " + outcome.reason);
    // A target the policy forbids, or no pinned port left, is a denial to audit; an unreachable target
    // is the network's doing.
    if (outcome.close_code == close_code::denied || outcome.close_code == close_code::port_pool_exhausted) {
      return deny(AuditEventType::policy_denied, outcome.close_code, outcome.reason, outcome.reason);
    }
    return refuse(outcome.close_code, std::move(outcome.reason));
  }
  auto session = std::make_shared<RelaySession>(ctx_, *session_strand_, std::move(outcome.socket), connect.target,
                                                new_session_id(), SessionOwner{principal_.name, connect.username},
                                                std::move(outcome.source_port));
  ctx_.registry.add(session->sid(), principal_.name, session);
  upgrade([session, peer = client_peer()](std::shared_ptr<ClientSocket> ws) {
    if (ws) return session->attach(std::move(ws), std::nullopt, peer);
    session->shutdown(close_code::normal, "WebSocket upgrade failed");
  });
}

template <class Stream>
ClientPeer HttpSession<Stream>::client_peer() const {
  return ClientPeer{client_ip_, client_ip_ == peer_ip_ ? peer_port_ : std::uint16_t{0}, peer_,
                    std::string(request_.target())};
}

template <class Stream>
void HttpSession<Stream>::deny(AuditEventType type, std::uint16_t code, std::string reason, std::string detail) {
  AuditEvent event;
  event.type = type;
  event.principal = principal_.name;
  const auto peer = client_peer();
  event.source_ip = peer.address;
  event.source_port = peer.port;
  event.target = target_;
  event.sid = requested_sid_;
  event.path = std::string(request_.target());
  event.close_code = code;
  event.close_reason = reason;
  event.reason = std::move(detail);
  ctx_.audit(std::move(event));
  refuse(code, std::move(reason));
}

template <class Stream>
template <class Then>
void HttpSession<Stream>::upgrade(Then then) {
  beast::get_lowest_layer(stream_).expires_never();  // the WebSocket's own timeouts take over
  auto ws = std::make_shared<ClientSocket>(std::move(stream_));
  const bool ssh = offers_ssh_subprotocol(request_);
  ws->visit([&](auto& s) {
    s.set_option(websocket::stream_base::decorator([ssh](websocket::response_type& res) {
      res.set(http::field::server, "sshrelayd");
      // Chrome drops the connection unless the 101 echoes the subprotocol it offered.
      if (ssh) res.set(http::field::sec_websocket_protocol, "ssh");
    }));
    websocket::stream_base::timeout timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
    s.set_option(timeouts);
    s.async_accept(request_, [self = this->shared_from_this(), ws, then = std::move(then)](beast::error_code ec) mutable {
      if (ec) {
        log(LogLevel::debug, "WebSocket upgrade from " + self->peer_ + " failed: " + ec.message());
        ws->abort();
        ws.reset();
      }
      then(std::move(ws));
    });
  });
}

template <class Stream>
void HttpSession<Stream>::refuse(std::uint16_t code, std::string reason) {
  upgrade([code, reason = std::move(reason)](std::shared_ptr<ClientSocket> ws) {
    if (!ws) return;
    ws->visit([&](auto& s) {
      s.async_close(make_close_reason(code, reason), [ws](beast::error_code) { ws->abort(); });
    });
  });
}

}  // namespace sshrelay::daemon
