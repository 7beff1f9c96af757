#pragma once
// One accepted connection: reads HTTP requests (after a TLS handshake when configured) and answers them;
// a WebSocket request for one of the endpoints is handed, with the connection, to Admission. Runs on
// the strand made at accept (Beast's advanced server idiom).
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <memory>
#include <optional>

#include "native/daemon/admission.hpp"
#include "native/daemon/relay_context.hpp"
#include "core/tunnel/tunnel_host.hpp"
#include "native/daemon/router.hpp"

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
  void on_header(beast::error_code ec, std::size_t n);
  void read_body();
  void on_read(beast::error_code ec, std::size_t n);
  // A request for a tunnel's subdomain (native/daemon/tunnel/tunnel_http.hpp): answered when it answers.
  void forward_to_tunnel(const tunnel::HostMatch& match);
  void on_write(bool keep_alive, beast::error_code ec, std::size_t n);
  void do_close();
  // Answers a request that cannot be served (too big, malformed) and closes the connection gently.
  void reject(http::status status, std::string body);
  void send_notice(NoticeUpgrade notice);

  RelayContext& ctx_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  tunnel::HostMatch tunnel_host_;  // what the request's Host says about tunnels
  Request request_;
  ConnectionPeer peer_;
};

using PlainHttpSession = HttpSession<beast::tcp_stream>;
using TlsHttpSession = HttpSession<beast::ssl_stream<beast::tcp_stream>>;
extern template class HttpSession<beast::tcp_stream>;
extern template class HttpSession<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace sshrelay::daemon
