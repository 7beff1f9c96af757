#pragma once
// A client's WebSocket after the upgrade, over plain TCP or TLS: the stream, the frame reader (core's
// ws::Reader) and what the session driver needs to know about it. The daemon speaks the frames itself
// (core/wire/websocket_frames.hpp says why), so this is bytes in and bytes out, many frames per
// operation. Operations are started on the owning session's strand, one read and one write at a time.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/wire/websocket_frames.hpp"

namespace sshrelay::daemon {

namespace beast = boost::beast;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

class ClientConnection {
 public:
  // `already_read`: bytes that arrived behind the upgrade request (a client may send at once).
  ClientConnection(PlainStream&& stream, std::size_t max_message, std::span<const std::uint8_t> already_read);
  ClientConnection(TlsStream&& stream, std::size_t max_message, std::span<const std::uint8_t> already_read);

  template <class F>
  decltype(auto) visit(F&& f) {
    return std::visit(std::forward<F>(f), stream_);
  }
  boost::asio::ip::tcp::socket& socket();
  bool is_tls() const { return std::holds_alternative<TlsStream>(stream_); }
  ws::Reader& reader() { return reader_; }
  // The client asked for several v4 frames per WebSocket message (packFrames, core/wire/v4_url.hpp).
  bool packs_frames() const { return packs_frames_; }
  void set_packs_frames(bool on) { packs_frames_ = on; }

  // Reads what the kernel already holds without waiting (up to `limit` bytes) into the reader: used when
  // the connection has failed, so frames the client sent before it vanished are still counted. Returns
  // the number of bytes read.
  std::size_t drain_now(std::size_t limit);
  // Bytes waiting in the kernel's receive buffer (0 on error).
  std::size_t available();
  // A plain connection's descriptor, for another process (a handover): this object no longer owns it.
  // -1 for TLS (its session keys stay in this process) or when the socket cannot let go.
  int release();
  // Drops the TCP connection without a close handshake. Pending operations complete with an error.
  void abort();

 private:
  std::variant<PlainStream, TlsStream> stream_;
  ws::Reader reader_;
  bool packs_frames_ = false;
};

// After our close frame, the last frame to a client: read (and drop) until its close frame arrives (at
// once if `close_received`: it came first), then close our side first as RFC 6455 §7.1.1 asks, and drop
// the connection once the client has closed too — all within a few seconds. Closing at once with the
// client's frames unread would reset the connection, and the client might never read the close frame.
void linger_close(std::shared_ptr<ClientConnection> client, bool close_received = false);

// Writes a close frame with `code` and `reason`, then lingers: for a socket that is refused (a reconnect
// that cannot resume, a v4 request denied after its upgrade).
void close_client(std::shared_ptr<ClientConnection> client, std::uint16_t code, std::string_view reason);

}  // namespace sshrelay::daemon
