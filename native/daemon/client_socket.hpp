#pragma once
// The browser's (or CLI's) WebSocket, over plain TCP or TLS. A session outlives its sockets and may be
// resumed over either kind, so it holds this one type instead of being a template.
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <variant>

#include "core/close_code.hpp"

namespace sshrelay::daemon {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

using PlainWebSocket = websocket::stream<beast::tcp_stream>;
using TlsWebSocket = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

class ClientSocket {
 public:
  explicit ClientSocket(beast::tcp_stream&& stream) : ws_(std::in_place_type<PlainWebSocket>, std::move(stream)) {}
  explicit ClientSocket(beast::ssl_stream<beast::tcp_stream>&& stream)
      : ws_(std::in_place_type<TlsWebSocket>, std::move(stream)) {}

  // Calls f with the concrete websocket::stream.
  template <class F>
  decltype(auto) visit(F&& f) {
    return std::visit(std::forward<F>(f), ws_);
  }

  // Messages are read into the socket's own buffer: a read that fails mid-message leaves a partial
  // message behind, which must die with its socket rather than prefix the next socket's first message.
  beast::flat_buffer& read_buffer() { return read_buffer_; }

  // Drops the TCP connection without a close handshake: for evicting a superseded (often half-open)
  // socket, or after a failed close. Pending operations complete with operation_aborted.
  void abort() {
    visit([](auto& ws) { beast::get_lowest_layer(ws).close(); });
  }

 private:
  std::variant<PlainWebSocket, TlsWebSocket> ws_;
  beast::flat_buffer read_buffer_;
};

}  // namespace sshrelay::daemon

namespace sshrelay::daemon {

// A close frame's reason is valid UTF-8 of at most 123 bytes (core's close_reason_text): longer text is
// cut on a character boundary rather than refused, bytes that are not UTF-8 (an echoed Origin) replaced.
inline websocket::close_reason make_close_reason(std::uint16_t code, std::string_view reason) {
  return websocket::close_reason(static_cast<websocket::close_code>(code), close_reason_text(reason));
}

}  // namespace sshrelay::daemon
