#pragma once
// HttpSession's member definitions. Each stream type is instantiated in its own .cpp: one Beast TLS
// instantiation per translation unit keeps the compiler's memory within bounds.
#include "native/daemon/http_session.hpp"

#include <boost/asio/dispatch.hpp>

#include <boost/asio/write.hpp>

#include "core/wire/close_code.hpp"
#include "core/wire/websocket_frames.hpp"
#include "native/daemon/http_refusal.hpp"
#include "native/daemon/log.hpp"
#include "native/daemon/rendezvous/rendezvous_admin.hpp"
#include "native/daemon/tunnel/tunnel_http.hpp"

namespace sshrelay::daemon {
namespace http_session_detail {

constexpr std::size_t kBodyLimit = 8 * 1024;
constexpr std::size_t kHeaderLimit = 8 * 1024;  // request line and headers together

}  // namespace http_session_detail

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
  peer_.ip = ec ? "?" : endpoint.address().to_string();
  peer_.port = ec ? 0 : endpoint.port();
  peer_.text = ec ? "?" : peer_.ip + ":" + std::to_string(endpoint.port());
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
  if (ec) return log(LogLevel::debug, "TLS handshake from " + peer_.text + ": " + ec.message());
  do_read();
}

template <class Stream>
void HttpSession<Stream>::do_read() {
  parser_.emplace();
  // Beast checks Content-Length against the limit while it parses the header, before the Host is known:
  // with tunnels none stands until the header shows whose request it is (a tunnel's streams have none).
  if (ctx_.config.tunnels) {
    parser_->body_limit(boost::none);
  } else {
    parser_->body_limit(http_session_detail::kBodyLimit);
  }
  parser_->header_limit(http_session_detail::kHeaderLimit);
  beast::get_lowest_layer(stream_).expires_after(ctx_.config.request_timeout);
  http::async_read_header(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::on_header, this->shared_from_this()));
}

// The header decides how large a body may be: a tunnel's visitors may send what wsproxy allows them,
// or anything to a tunnel that streams.
template <class Stream>
void HttpSession<Stream>::on_header(beast::error_code ec, std::size_t n) {
  using http_session_detail::kBodyLimit;
  if (ec) return on_read(ec, n);
  tunnel_host_ = ctx_.config.tunnels ? tunnel::match_tunnel_host(parser_->get()[http::field::host], ctx_.config.tunnel_domain)
                                     : tunnel::HostMatch{tunnel::NotTunnelHost{}};
  const bool for_tunnel = !std::holds_alternative<tunnel::NotTunnelHost>(tunnel_host_);
  if (for_tunnel) {
    // A tunnel that takes streams gets the connection itself, the body unread.
    const auto take_stream = [this] {
      beast::get_lowest_layer(stream_).expires_never();
      return VisitorStream(std::move(stream_));
    };
    const auto* buffered = static_cast<const std::uint8_t*>(buffer_.data().data());
    if (stream_to_tunnel(ctx_, parser_->get().base(), client_address(ctx_, parser_->get(), peer_), tunnel_host_,
                         take_stream, std::span(buffered, buffer_.size()))) {
      return;
    }
  }
  const auto limit = for_tunnel ? kTunnelRequestBodyLimit : kBodyLimit;
  parser_->body_limit(limit);
  if (const auto length = parser_->content_length(); length && *length > limit) return on_read(http::error::body_limit, n);
  // A client that asked to be told before it sends a large body (curl does, over 1 MiB) is told at once
  // rather than after its own timeout.
  if (for_tunnel && beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
    auto go_on = std::make_shared<http::response<http::empty_body>>(http::status::continue_, parser_->get().version());
    http::async_write(stream_, *go_on, [self = this->shared_from_this(), go_on](beast::error_code e, std::size_t) {
      if (e) return;
      self->read_body();
    });
    return;
  }
  read_body();
}

template <class Stream>
void HttpSession<Stream>::read_body() {
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::on_read, this->shared_from_this()));
}

template <class Stream>
void HttpSession<Stream>::on_read(beast::error_code ec, std::size_t) {
  using http_session_detail::kBodyLimit;
  using http_session_detail::kHeaderLimit;
  if (ec == http::error::end_of_stream) return do_close();
  if (ec == http::error::header_limit) {
    return reject(http::status::request_header_fields_too_large,
                  "the request line and headers exceed " + std::to_string(kHeaderLimit / 1024) + " KiB\n");
  }
  if (ec == http::error::body_limit) {
    const auto limit = std::holds_alternative<tunnel::NotTunnelHost>(tunnel_host_) ? kBodyLimit : kTunnelRequestBodyLimit;
    return reject(http::status::payload_too_large, "the request body exceeds " + std::to_string(limit / 1024) + " KiB\n");
  }
  // Any other parse error (method, target, version, header syntax): the client is told, not reset.
  if (ec.category() == http::make_error_code(http::error::bad_method).category() && ec != http::error::partial_message) {
    return reject(http::status::bad_request, "malformed HTTP request: " + ec.message() + "\n");
  }
  if (ec) return;  // timeouts and resets on idle keep-alive connections are normal
  request_ = parser_->release();
  if (!std::holds_alternative<tunnel::NotTunnelHost>(tunnel_host_)) return forward_to_tunnel(tunnel_host_);
  auto routed = route(ctx_, request_, peer_);
  if (auto* ws = std::get_if<WsRequest>(&routed)) {
    // The connection becomes the endpoint's: admission takes the stream and whatever followed the request.
    std::make_shared<Admission<Stream>>(ctx_, std::move(stream_), std::move(buffer_), std::move(request_), std::move(*ws),
                                        peer_)
        ->run();
    return;
  }
  if (auto* notice = std::get_if<NoticeUpgrade>(&routed)) return send_notice(std::move(*notice));
  if (std::holds_alternative<AdminRequest>(routed)) {
    // Answered once the identity is known (the authenticator may have to fetch keys first).
    ctx_.authenticator->async_authenticate(request_, [self = this->shared_from_this()](Result<identity::Principal> who) {
      net::post(self->stream_.get_executor(), [self, who = std::move(who)] {
        auto response = std::make_shared<http::response<http::string_body>>(
            answer_rendezvous_admin(self->ctx_, self->request_, who, self->peer_));
        const bool keep_alive = response->keep_alive();
        http::async_write(self->stream_, *response, [self, response, keep_alive](beast::error_code e, std::size_t n) {
          self->on_write(keep_alive, e, n);
        });
      });
    });
    return;
  }
  auto& response = std::get<http::message_generator>(routed);
  const bool keep_alive = response.keep_alive();
  beast::async_write(stream_, std::move(response),
                     beast::bind_front_handler(&HttpSession::on_write, this->shared_from_this(), keep_alive));
}

template <class Stream>
void HttpSession<Stream>::forward_to_tunnel(const tunnel::HostMatch& match) {
  serve_tunnel_request(ctx_, request_, client_address(ctx_, request_, peer_), match,
                       [self = this->shared_from_this()](TunnelResponse answer) {
                         auto response = std::make_shared<TunnelResponse>(std::move(answer));
                         net::post(self->stream_.get_executor(), [self, response] {
                           // The tunnel may have taken up to a minute: the write gets its own time.
                           beast::get_lowest_layer(self->stream_).expires_after(self->ctx_.config.request_timeout);
                           const bool keep_alive = response->keep_alive();
                           http::async_write(self->stream_, *response, [self, response, keep_alive](beast::error_code e, std::size_t n) {
                             self->on_write(keep_alive, e, n);
                           });
                         });
                       });
}

template <class Stream>
void HttpSession<Stream>::on_write(bool keep_alive, beast::error_code ec, std::size_t) {
  if (ec) return;
  if (!keep_alive) return do_close();
  do_read();
}

// The 101, the notice's messages and a close frame in one write; then the connection is closed (the
// client's close frame, if it sends one, is not waited for: there is nothing more to say).
template <class Stream>
void HttpSession<Stream>::send_notice(NoticeUpgrade notice) {
  auto bytes = std::make_shared<std::string>(std::move(notice.response));
  const auto append = [&](ws::Opcode opcode, const std::vector<std::uint8_t>& payload) {
    const auto header = ws::frame_header(opcode, payload.size());
    bytes->append(reinterpret_cast<const char*>(header.view().data()), header.view().size());
    bytes->append(reinterpret_cast<const char*>(payload.data()), payload.size());
  };
  for (const auto& message : notice.messages) append(ws::Opcode::binary, message);
  append(ws::Opcode::close, ws::close_payload(close_code::normal, "see the message above"));
  log(LogLevel::info, "request from " + peer_.text + " for " + std::string(request_.target()) +
                          " answered with a notice (an older protocol)");
  boost::asio::async_write(stream_, boost::asio::buffer(*bytes),
                           [self = this->shared_from_this(), bytes](beast::error_code, std::size_t) { self->do_close(); });
}

template <class Stream>
void HttpSession<Stream>::reject(http::status status, std::string body) {
  log(LogLevel::debug, "request from " + peer_.text + " refused: " + std::to_string(static_cast<unsigned>(status)));
  answer_and_close(stream_, closing_response(status, std::move(body)), this->shared_from_this());
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

}  // namespace sshrelay::daemon
