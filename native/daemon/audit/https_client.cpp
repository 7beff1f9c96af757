#include "native/daemon/audit/https_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace sshrelay::daemon::audit {
namespace {

constexpr std::size_t kResponseBodyLimit = 1 << 20;

}  // namespace

Result<std::shared_ptr<net::ssl::context>> make_tls_client_context(const std::string& ca_file, bool verify) {
  auto ctx = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
  ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                   net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
    if (ec) return local_error("cannot load the system's CA certificates: " + ec.message());
  } else {
    ctx->load_verify_file(ca_file, ec);
    if (ec) return local_error("cannot load CA file \"" + ca_file + "\": " + ec.message());
  }
  // With verify_none OpenSSL still runs the checks (and the host name callback) but goes on whatever
  // they say.
  ctx->set_verify_mode(verify ? net::ssl::verify_peer : net::ssl::verify_none);
  return ctx;
}

HttpsClient::HttpsClient(net::any_io_executor strand, std::shared_ptr<net::ssl::context> tls, HttpsUrl url,
                         std::chrono::milliseconds timeout)
    : strand_(std::move(strand)),
      tls_(std::move(tls)),
      url_(std::move(url)),
      timeout_(timeout),
      resolver_(strand_),
      resolve_timer_(strand_) {}

void HttpsClient::post(http::request<http::string_body> request, Handler done) {
  request_ = std::move(request);
  request_.set(http::field::host, url_.host_header());
  request_.prepare_payload();
  done_ = std::move(done);
  if (cancelled_) {
    return net::post(strand_, [self = shared_from_this()] {
      self->fail(net::error::operation_aborted, "send");
    });
  }
  if (connected_ && stream_) {
    reused_ = true;
    return do_write();
  }
  reused_ = false;
  do_resolve();
}

void HttpsClient::cancel() {
  cancelled_ = true;
  resolver_.cancel();
  resolve_timer_.cancel();
  if (!done_) return drop_connection();  // idle: nothing will complete
  if (stream_) beast::get_lowest_layer(*stream_).close();  // the pending step completes with an error
}

void HttpsClient::do_resolve() {
  resolve_timer_.expires_after(timeout_);
  resolve_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->resolver_.cancel();
  });
  resolver_.async_resolve(url_.host, std::to_string(url_.port),
                          [self = shared_from_this()](boost::system::error_code ec,
                                                      net::ip::tcp::resolver::results_type results) {
                            self->on_resolve(ec, std::move(results));
                          });
}

void HttpsClient::on_resolve(boost::system::error_code ec, net::ip::tcp::resolver::results_type results) {
  resolve_timer_.cancel();
  if (cancelled_) return fail(net::error::operation_aborted, "resolve " + url_.host);
  if (ec) return fail(ec == net::error::operation_aborted ? net::error::timed_out : ec, "resolve " + url_.host);
  stream_ = std::make_unique<Stream>(strand_, *tls_);
  beast::get_lowest_layer(*stream_).expires_after(timeout_);
  beast::get_lowest_layer(*stream_).async_connect(
      results, [self = shared_from_this()](boost::system::error_code e, const net::ip::tcp::endpoint&) {
        self->on_connect(e);
      });
}

void HttpsClient::on_connect(boost::system::error_code ec) {
  if (cancelled_) return fail(net::error::operation_aborted, "connect");
  if (ec) return fail(ec, "connect to " + url_.authority());
  // SNI carries DNS names only (RFC 6066 §3), never IP literals.
  if (!url_.host_is_ip && !SSL_set_tlsext_host_name(stream_->native_handle(), url_.host.c_str())) {
    return fail(boost::system::error_code(static_cast<int>(::ERR_get_error()), net::error::get_ssl_category()),
                "set TLS SNI");
  }
  stream_->set_verify_callback(net::ssl::host_name_verification(url_.host));
  beast::get_lowest_layer(*stream_).expires_after(timeout_);
  stream_->async_handshake(net::ssl::stream_base::client,
                           [self = shared_from_this()](boost::system::error_code e) { self->on_handshake(e); });
}

void HttpsClient::on_handshake(boost::system::error_code ec) {
  if (cancelled_) return fail(net::error::operation_aborted, "TLS handshake");
  if (ec) return fail(ec, "TLS handshake with " + url_.authority());
  connected_ = true;
  do_write();
}

void HttpsClient::do_write() {
  beast::get_lowest_layer(*stream_).expires_after(timeout_);
  http::async_write(*stream_, request_,
                    [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_write(ec); });
}

void HttpsClient::on_write(boost::system::error_code ec) {
  if (cancelled_) return fail(net::error::operation_aborted, "send");
  if (ec) {
    if (reused_) {  // the server had closed the idle connection: once more on a fresh one
      drop_connection();
      reused_ = false;
      return do_resolve();
    }
    return fail(ec, "send to " + url_.authority());
  }
  parser_.emplace();
  parser_->body_limit(kResponseBodyLimit);
  beast::get_lowest_layer(*stream_).expires_after(timeout_);
  http::async_read(*stream_, buffer_, *parser_,
                   [self = shared_from_this()](boost::system::error_code e, std::size_t) { self->on_read(e); });
}

void HttpsClient::on_read(boost::system::error_code ec) {
  if (cancelled_) return fail(net::error::operation_aborted, "receive");
  if (ec) {
    if (reused_ && !parser_->got_some()) {
      drop_connection();
      reused_ = false;
      return do_resolve();
    }
    return fail(ec, "response from " + url_.authority());
  }
  auto response = parser_->release();
  parser_.reset();
  if (!response.keep_alive()) {
    drop_connection();
  } else {
    beast::get_lowest_layer(*stream_).expires_never();
  }
  complete({{}, {}, response.result_int(), std::move(response.body())});
}

void HttpsClient::fail(boost::system::error_code ec, std::string where) {
  drop_connection();
  complete({ec, std::move(where), 0, {}});
}

void HttpsClient::complete(HttpResult result) {
  auto done = std::move(done_);
  done_ = nullptr;
  if (done) done(std::move(result));
}

void HttpsClient::drop_connection() {
  if (stream_) {
    boost::system::error_code ignored;
    beast::get_lowest_layer(*stream_).socket().close(ignored);
  }
  stream_.reset();
  connected_ = false;
  buffer_.clear();
  parser_.reset();
}

}  // namespace sshrelay::daemon::audit
