#pragma once
// One WebSocket connection to the relay, plain (ws://) or TLS (wss://): resolve, TCP connect, TLS
// handshake with SNI and host name verification, WebSocket handshake offering subprotocol `ssh` (and
// refusing a 101 that does not echo it), then binary messages. It knows nothing about v4 frames:
// RelayConnection opens one per attempt and drops it when the network does.
//
// All operations and completions run on the strand passed at construction; callers start at most one
// read and one write at a time (Beast's rule).
#include <openssl/ssl.h>

#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "native/client/relay_url.hpp"

namespace sshrelay::client {

struct TransportOptions {
  RelayUrl relay;
  // Required for wss:// (make_client_tls_context()); shared by every connection to the relay.
  std::shared_ptr<boost::asio::ssl::context> tls;
  // --insecure: also skip the host name check (the context's verify mode is set by make_client_tls_context).
  bool insecure = false;
  // TLS name to send as SNI and to match against the certificate; empty = relay.host. For relays reached
  // by address (or through a tunnel) under a certificate for another name.
  std::string tls_server_name;
  std::string origin;  // Origin header; empty = none
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers (e.g. auth)
  std::string user_agent = "sshrelay-client";
  // Offered, and required in the 101: "ssh" for corp-relay-v4, "binary" for /relay; none for /tunnel.
  std::string subprotocol = "ssh";
  std::chrono::milliseconds connect_timeout{10000};    // resolve + TCP + TLS
  std::chrono::milliseconds handshake_timeout{10000};  // HTTP upgrade
  // No bytes from the relay for half of this: send a ping; for all of it: the connection is dead (a read
  // fails with beast::error::timeout). Zero disables. The relay pings every --ping-seconds when idle.
  std::chrono::milliseconds idle_timeout{60000};
  // The largest message read. v4 frames are at most 6 + 16384 bytes: the slack lets an oversized frame
  // reach the core, which names the violation, instead of failing as a generic read error. A tunnel's
  // http_request carries up to 10 MiB of body in base64.
  std::size_t max_message = 1 << 20;
};

// The TLS peer name for a connection to the relay: SNI (DNS names only, RFC 6066 §3, never IP
// literals) and, unless --insecure, the certificate's name check. False when OpenSSL refuses the name.
template <class SslStream>
bool name_tls_peer(SslStream& tls, const TransportOptions& options) {
  const bool named = !options.tls_server_name.empty();
  const std::string& name = named ? options.tls_server_name : options.relay.host;
  if ((named || !options.relay.host_is_ip) && !SSL_set_tlsext_host_name(tls.native_handle(), name.c_str())) return false;
  if (!options.insecure) tls.set_verify_callback(boost::asio::ssl::host_name_verification(name));
  return true;
}

// What the relay answered to the upgrade, for messages and retry decisions.
struct OpenResult {
  unsigned http_status = 0;  // 101 on success; 0 if no HTTP response arrived
  std::string detail;        // human text on failure: the failing step, the status line, a body excerpt
};

class WsTransport : public std::enable_shared_from_this<WsTransport> {
 public:
  using Handler = std::function<void(boost::system::error_code, std::size_t)>;
  using OpenHandler = std::function<void(boost::system::error_code, const OpenResult&)>;

  WsTransport(boost::asio::any_io_executor strand, const TransportOptions& options);

  // target: the request target, e.g. connect_target(...). On success the socket is ready for messages.
  void async_open(std::string target, OpenHandler handler);

  // Reads one whole message into buffer() (cleared first). A close frame from the relay completes with
  // websocket::error::closed; reason() then holds its code and text.
  void async_read(Handler handler);
  boost::beast::flat_buffer& buffer() { return buffer_; }
  bool last_message_binary() const;
  boost::beast::websocket::close_reason reason() const;

  // One message, binary unless `binary` is false (a text message: the tunnel's JSON). The buffer must stay
  // valid until the handler runs.
  void async_write(boost::asio::const_buffer message, Handler handler, bool binary = true);
  // Sends a close frame and waits for the relay's (bounded by the handshake timeout).
  void async_close(boost::beast::websocket::close_reason reason, std::function<void(boost::system::error_code)> handler);
  // Sends a ping (for `sshrelay -v`'s round-trip figure). When its pong arrives, which needs a read in
  // progress, `on_rtt` gets the round trip time. Beast's rule for control frames: at most one ping at a
  // time, and no async_close until `handler` has run. Only after a successful open.
  void async_ping(std::function<void(std::chrono::steady_clock::duration)> on_rtt,
                  std::function<void(boost::system::error_code)> handler);

  // Resets the TCP connection at once (SO_LINGER 0, no close frame): the network failed, or a test said so.
  // Pending operations complete with an error.
  void abort();

 private:
  using PlainWs = boost::beast::websocket::stream<boost::beast::tcp_stream>;
  using TlsWs = boost::beast::websocket::stream<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

  template <class F>
  decltype(auto) visit(F&& f) {
    return std::visit([&](auto& ws) -> decltype(auto) { return f(*ws); }, ws_);
  }
  boost::beast::tcp_stream& tcp();

  void on_resolve(boost::system::error_code ec, boost::asio::ip::tcp::resolver::results_type results);
  void on_connect(boost::system::error_code ec);
  void on_tls_handshake(boost::system::error_code ec);
  void do_ws_handshake();
  void on_ws_handshake(boost::system::error_code ec);
  void open_failed(boost::system::error_code ec, std::string step);

  boost::asio::any_io_executor strand_;
  TransportOptions options_;
  boost::asio::ip::tcp::resolver resolver_;
  std::variant<std::unique_ptr<PlainWs>, std::unique_ptr<TlsWs>> ws_;
  boost::beast::websocket::response_type response_;
  boost::beast::flat_buffer buffer_;
  std::string target_;
  OpenHandler open_handler_;
  bool aborted_ = false;
  std::chrono::steady_clock::time_point ping_sent_;
  std::function<void(std::chrono::steady_clock::duration)> on_rtt_;
};

}  // namespace sshrelay::client
