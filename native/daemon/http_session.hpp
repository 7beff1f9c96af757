#pragma once
// One accepted connection: reads HTTP requests (after a TLS handshake when configured), answers them,
// or turns the connection into a v4 WebSocket and hands it to a RelaySession. Runs on the strand made
// at accept (Beast's advanced server idiom).
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <memory>
#include <optional>

#include "native/daemon/client_socket.hpp"
#include "native/daemon/identity/authenticator.hpp"
#include "native/daemon/relay_context.hpp"
#include "native/daemon/relay_session.hpp"
#include "native/daemon/router.hpp"
#include "native/daemon/target_dialer.hpp"

namespace sshrelay::daemon {

template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  HttpSession(RelayContext& ctx, boost::asio::ip::tcp::socket&& socket);
  void run();

 private:
  void on_handshake(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t n);
  void on_write(bool keep_alive, beast::error_code ec, std::size_t n);
  void do_close();
  // Answers a request that cannot be served (too big, malformed) and closes the connection gently.
  void reject(http::status status, std::string body);
  void linger(std::size_t drained);

  void start_v4(V4Request request);
  void on_authenticated(V4Request request, Result<identity::Principal> who);
  void on_dialed(V4Connect connect, DialOutcome outcome);
  ClientPeer client_peer() const;
  // Audits the refusal (principal, source, target, request path; `detail` says why), then refuses.
  void deny(AuditEventType type, std::uint16_t code, std::string reason, std::string detail);
  // Completes the WebSocket upgrade of request_, then calls then(socket) on this connection's strand.
  template <class Then>
  void upgrade(Then then);
  void refuse(std::uint16_t code, std::string reason);

  RelayContext& ctx_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Request request_;
  std::string peer_;         // TCP peer "ip:port", for logs
  std::string peer_ip_;      // TCP peer address
  std::uint16_t peer_port_ = 0;
  std::string client_ip_;    // the user's address: peer_ip_, or X-Forwarded-For from a trusted proxy
  PrincipalView principal_;  // who is asking, once authenticated
  std::string target_;       // host:port asked for by /v4/connect, for the audit trail
  std::string requested_sid_;  // the sid a /v4/reconnect names, for the audit trail
  std::optional<Strand> session_strand_;
};

using PlainHttpSession = HttpSession<beast::tcp_stream>;
using TlsHttpSession = HttpSession<beast::ssl_stream<beast::tcp_stream>>;
extern template class HttpSession<beast::tcp_stream>;
extern template class HttpSession<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace sshrelay::daemon
