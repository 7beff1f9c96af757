#include "native/sshweb/backend_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>
#include <openssl/ssl.h>

namespace sshrelay::sshweb {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Exchange {
  http::request<http::string_body> request;
  http::response<http::string_body> response;
  beast::flat_buffer buffer;
  std::string failure;  // empty: the response came
};

std::string step_error(const char* step, const boost::system::error_code& ec, std::chrono::milliseconds timeout) {
  if (ec == beast::error::timeout) return "backend timeout after " + std::to_string(timeout.count() / 1000) + " s";
  return std::string("backend ") + step + " failed: " + ec.message();
}

// write, then read, on a connected (and, for TLS, handshaken) stream; the deadline was set on it.
template <class Stream>
void exchange(Stream& stream, Exchange& x, std::chrono::milliseconds timeout) {
  // `timeout` by value: this function returns before the handlers run.
  http::async_write(stream, x.request, [&stream, &x, timeout](boost::system::error_code ec, std::size_t) {
    if (ec) {
      x.failure = step_error("write", ec, timeout);
      return;
    }
    http::async_read(stream, x.buffer, x.response, [&x, timeout](boost::system::error_code e, std::size_t) {
      if (e) x.failure = step_error("read", e, timeout);
    });
  });
}

}  // namespace

Result<BackendResponse> call_backend(const std::string& backend_url, const BackendRequest& request,
                                     std::chrono::milliseconds timeout) {
  auto url = boost::urls::parse_uri(backend_url);
  if (!url || (url->scheme() != "http" && url->scheme() != "https") || url->host().empty()) {
    return local_error("backend '" + backend_url + "' is not an http:// or https:// URL");
  }
  const bool tls = url->scheme() == "https";
  const std::string host = url->host_address();
  const std::string port = url->has_port() ? std::string(url->port()) : (tls ? "443" : "80");
  const std::string base = std::string(url->encoded_path());
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  boost::system::error_code ec;
  const auto endpoints = resolver.resolve(host, port, ec);
  if (ec) return local_error("backend unreachable (" + host + ":" + port + "): " + ec.message());

  Exchange x;
  x.request.method_string(request.method);
  x.request.target(base + request.target);
  x.request.version(11);
  x.request.set(http::field::host, url->has_port() ? host + ":" + port : host);
  x.request.set(http::field::user_agent, "sshwebd/" SSHRELAY_VERSION);
  x.request.set(http::field::connection, "close");
  for (const auto& [name, value] : request.headers) x.request.set(name, value);
  if (!request.body.empty()) {
    x.request.set(http::field::content_type, "application/json");
    x.request.body() = request.body;
  }
  x.request.prepare_payload();
  const auto deadline = Clock::now() + timeout;

  net::ssl::context ssl(net::ssl::context::tls_client);
  beast::tcp_stream plain(ioc);
  beast::ssl_stream<beast::tcp_stream> secure(ioc, ssl);
  auto& lowest = tls ? beast::get_lowest_layer(secure) : plain;
  if (tls) {
    ssl.set_default_verify_paths();
    ssl.set_verify_mode(net::ssl::verify_peer);
    secure.set_verify_callback(net::ssl::host_name_verification(host));
    SSL_set_tlsext_host_name(secure.native_handle(), host.c_str());
  }
  lowest.expires_at(deadline);
  lowest.async_connect(endpoints, [&](boost::system::error_code e, const tcp::endpoint&) {
    if (e) {
      x.failure = e == beast::error::timeout ? step_error("connect", e, timeout)
                                             : "backend unreachable (" + host + ":" + port + "): " + e.message();
      return;
    }
    if (!tls) return exchange(plain, x, timeout);
    secure.async_handshake(net::ssl::stream_base::client, [&](boost::system::error_code h) {
      if (h) {
        x.failure = step_error("TLS handshake", h, timeout);
        return;
      }
      exchange(secure, x, timeout);
    });
  });
  ioc.run();
  if (!x.failure.empty()) return local_error(x.failure);
  return BackendResponse{x.response.result_int(), std::move(x.response.body())};
}

}  // namespace sshrelay::sshweb
