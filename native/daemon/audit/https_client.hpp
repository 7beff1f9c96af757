#pragma once
// A small HTTPS client for the audit sinks: POSTs one request at a time over a kept-alive TLS connection,
// verifying the server's certificate against the system store or a given CA file, with a timeout on every
// step. Runs on the caller's strand; completion handlers run there too.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/common/result.hpp"
#include "native/daemon/https_url.hpp"

namespace sshrelay::daemon::audit {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// TLS 1.2+ client context verifying peers: against ca_file alone when given (a private CA), else against
// the system store.
// verify = false accepts any certificate (the Python relay's *_VERIFY=false, for a lab's self-signed
// collector): the connection is still encrypted, but not to a known party.
Result<std::shared_ptr<net::ssl::context>> make_tls_client_context(const std::string& ca_file, bool verify = true);

struct HttpResult {
  boost::system::error_code ec;  // set: no response (ec names the step in `where`)
  std::string where;
  unsigned status = 0;
  std::string body;
};

class HttpsClient : public std::enable_shared_from_this<HttpsClient> {
 public:
  using Handler = std::function<void(HttpResult)>;

  HttpsClient(net::any_io_executor strand, std::shared_ptr<net::ssl::context> tls, HttpsUrl url,
              std::chrono::milliseconds timeout);

  const HttpsUrl& url() const { return url_; }

  // On the strand, one request at a time. Sets Host; the caller sets the rest. A kept-alive connection
  // that turns out dead before any response byte is replaced once, transparently.
  void post(http::request<http::string_body> request, Handler done);
  // On the strand: aborts the request in flight (its handler gets operation_aborted) and the connection.
  void cancel();

 private:
  using Stream = beast::ssl_stream<beast::tcp_stream>;

  void do_resolve();
  void on_resolve(boost::system::error_code ec, net::ip::tcp::resolver::results_type results);
  void on_connect(boost::system::error_code ec);
  void on_handshake(boost::system::error_code ec);
  void do_write();
  void on_write(boost::system::error_code ec);
  void on_read(boost::system::error_code ec);
  void fail(boost::system::error_code ec, std::string where);
  void complete(HttpResult result);
  void drop_connection();

  net::any_io_executor strand_;
  std::shared_ptr<net::ssl::context> tls_;
  HttpsUrl url_;
  std::chrono::milliseconds timeout_;
  net::ip::tcp::resolver resolver_;
  net::steady_timer resolve_timer_;
  std::unique_ptr<Stream> stream_;
  bool connected_ = false;
  bool reused_ = false;  // the request went out on a connection kept from an earlier one
  bool cancelled_ = false;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  http::request<http::string_body> request_;
  Handler done_;
};

}  // namespace sshrelay::daemon::audit
