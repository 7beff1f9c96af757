#include "native/client/ws_transport.hpp"

#include <openssl/ssl.h>

#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream_base.hpp>

#include "core/wire/v4_frame.hpp"
#include "native/client/client_error.hpp"

namespace sshrelay::client {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {

// Payload of our own pings, so their pongs are told apart from answers to Beast's keep-alive pings.
constexpr const char* kRttPingPayload = "sshrelay-rtt";

std::string excerpt(std::string_view body) {
  constexpr std::size_t kMax = 200;
  std::string out(body.substr(0, kMax));
  for (auto& c : out) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (body.size() > kMax) out += "...";
  return out;
}

}  // namespace

WsTransport::WsTransport(asio::any_io_executor strand, const TransportOptions& options)
    : strand_(std::move(strand)), options_(options), resolver_(strand_) {
  if (options_.relay.tls) {
    ws_ = std::make_unique<TlsWs>(beast::tcp_stream(strand_), *options_.tls);
  } else {
    ws_ = std::make_unique<PlainWs>(beast::tcp_stream(strand_));
  }
}

beast::tcp_stream& WsTransport::tcp() {
  return visit([](auto& ws) -> beast::tcp_stream& { return beast::get_lowest_layer(ws); });
}

void WsTransport::async_open(std::string target, OpenHandler handler) {
  target_ = std::move(target);
  open_handler_ = std::move(handler);
  if (options_.relay.tls && !options_.tls) {
    return open_failed(make_error_code(errc::bad_relay_url), "wss:// needs a TLS context");
  }
  tcp().expires_after(options_.connect_timeout);
  resolver_.async_resolve(options_.relay.host, std::to_string(options_.relay.port),
                          [self = shared_from_this()](error_code ec, tcp::resolver::results_type results) {
                            self->on_resolve(ec, std::move(results));
                          });
}

void WsTransport::on_resolve(error_code ec, tcp::resolver::results_type results) {
  if (ec) return open_failed(ec, "resolve " + options_.relay.host);
  if (aborted_) return open_failed(asio::error::operation_aborted, "resolve");
  tcp().async_connect(results, [self = shared_from_this()](error_code e, const tcp::endpoint&) {
    self->on_connect(e);
  });
}

void WsTransport::on_connect(error_code ec) {
  if (ec) return open_failed(ec, "connect to " + options_.relay.to_string());
  error_code ignored;
  tcp().socket().set_option(tcp::no_delay(true), ignored);
  if (auto* tls_ws = std::get_if<std::unique_ptr<TlsWs>>(&ws_)) {
    auto& tls = (*tls_ws)->next_layer();
    if (!name_tls_peer(tls, options_)) {
      return open_failed(error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()),
                         "set TLS SNI");
    }
    return tls.async_handshake(asio::ssl::stream_base::client,
                               [self = shared_from_this()](error_code e) { self->on_tls_handshake(e); });
  }
  do_ws_handshake();
}

void WsTransport::on_tls_handshake(error_code ec) {
  if (ec) return open_failed(ec, "TLS handshake with " + options_.relay.to_string());
  do_ws_handshake();
}

void WsTransport::do_ws_handshake() {
  tcp().expires_never();  // the WebSocket layer runs its own timers from here on
  visit([this](auto& ws) {
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = options_.handshake_timeout;
    timeout.idle_timeout = options_.idle_timeout.count() > 0
                               ? std::chrono::duration_cast<websocket::stream_base::duration>(options_.idle_timeout)
                               : websocket::stream_base::none();
    timeout.keep_alive_pings = true;
    ws.set_option(timeout);
    ws.set_option(websocket::stream_base::decorator([opts = options_](websocket::request_type& req) {
      req.set(http::field::user_agent, opts.user_agent);
      if (!opts.subprotocol.empty()) req.set(http::field::sec_websocket_protocol, opts.subprotocol);
      if (!opts.origin.empty()) req.set(http::field::origin, opts.origin);
      for (const auto& [name, value] : opts.headers) req.set(name, value);
    }));
    ws.binary(true);
    ws.read_message_max(options_.max_message);
    ws.auto_fragment(false);
    ws.async_handshake(response_, options_.relay.host_header(), target_,
                       [self = shared_from_this()](error_code ec) { self->on_ws_handshake(ec); });
  });
}

void WsTransport::on_ws_handshake(error_code ec) {
  if (ec == websocket::error::upgrade_declined && response_.result_int() != 0) {
    OpenResult result;
    result.http_status = response_.result_int();
    result.detail = "relay answered HTTP " + std::to_string(response_.result_int()) + " " +
                    std::string(response_.reason());
    if (auto body = excerpt(response_.body()); !body.empty()) result.detail += ": " + body;
    auto handler = std::move(open_handler_);
    return handler(make_error_code(errc::upgrade_refused), result);
  }
  if (ec) return open_failed(ec, "WebSocket handshake with " + options_.relay.to_string());
  if (response_[http::field::sec_websocket_protocol] != options_.subprotocol) {
    OpenResult result;
    result.http_status = response_.result_int();
    result.detail = "the relay's 101 answer did not echo Sec-WebSocket-Protocol: " + options_.subprotocol + " (got '" +
                    std::string(response_[http::field::sec_websocket_protocol]) + "')";
    abort();
    auto handler = std::move(open_handler_);
    return handler(make_error_code(errc::subprotocol_not_echoed), result);
  }
  // Set before any read starts (Beast does not allow changing it during one): pongs to our own pings
  // give the round trip time.
  visit([this](auto& ws) {
    ws.control_callback([this](websocket::frame_type kind, beast::string_view payload) {
      if (kind != websocket::frame_type::pong || payload != kRttPingPayload || !on_rtt_) return;
      auto on_rtt = std::move(on_rtt_);
      on_rtt_ = nullptr;
      on_rtt(std::chrono::steady_clock::now() - ping_sent_);
    });
  });
  OpenResult result;
  result.http_status = response_.result_int();
  auto handler = std::move(open_handler_);
  handler({}, result);
}

void WsTransport::open_failed(error_code ec, std::string step) {
  OpenResult result;
  result.detail = step + ": " + ec.message();
  auto handler = std::move(open_handler_);
  if (handler) handler(ec, result);
}

void WsTransport::async_read(Handler handler) {
  buffer_.clear();
  visit([&](auto& ws) { ws.async_read(buffer_, std::move(handler)); });
}

bool WsTransport::last_message_binary() const {
  return std::visit([](const auto& ws) { return ws->got_binary(); }, ws_);
}

websocket::close_reason WsTransport::reason() const {
  return std::visit([](const auto& ws) { return ws->reason(); }, ws_);
}

void WsTransport::async_write(asio::const_buffer message, Handler handler, bool binary) {
  visit([&](auto& ws) {
    ws.binary(binary);
    ws.async_write(message, std::move(handler));
  });
}

void WsTransport::async_close(websocket::close_reason reason, std::function<void(error_code)> handler) {
  visit([&](auto& ws) { ws.async_close(reason, std::move(handler)); });
}

void WsTransport::async_ping(std::function<void(std::chrono::steady_clock::duration)> on_rtt,
                             std::function<void(error_code)> handler) {
  ping_sent_ = std::chrono::steady_clock::now();
  on_rtt_ = std::move(on_rtt);
  visit([&](auto& ws) { ws.async_ping(websocket::ping_data(kRttPingPayload), std::move(handler)); });
}

void WsTransport::abort() {
  aborted_ = true;
  resolver_.cancel();
  auto& socket = tcp().socket();
  if (!socket.is_open()) return;
  error_code ignored;
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

}  // namespace sshrelay::client
