#include "native/sshweb/backend_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>
#include <openssl/ssl.h>

#include "core/common/text.hpp"

namespace sshrelay::sshweb {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

struct Exchange {
  http::request<http::string_body> request;
  http::response_parser<http::string_body> parser;
  beast::flat_buffer buffer;
  std::string failure;  // empty: the response came
};

std::string step_error(const char* step, const boost::system::error_code& ec, const ExchangeLimits& limits) {
  if (ec == beast::error::timeout) return limits.peer + " timeout after " + std::to_string(limits.timeout.count() / 1000) + " s";
  if (ec == http::error::body_limit) {
    return limits.peer + " response exceeded max-size (" + std::to_string(limits.body_limit.value_or(0)) + " bytes)";
  }
  if (ec == http::error::header_limit) {
    return limits.peer + " response headers exceed " + std::to_string(limits.header_limit) + " bytes";
  }
  return limits.peer + " " + step + " failed: " + ec.message();
}

// write, then read, on a connected (and, for TLS, handshaken) stream; the deadline was set on it.
template <class Stream>
void exchange(Stream& stream, Exchange& x, const ExchangeLimits& limits) {
  http::async_write(stream, x.request, [&stream, &x, &limits](boost::system::error_code ec, std::size_t) {
    if (ec) {
      x.failure = step_error("write", ec, limits);
      return;
    }
    http::async_read(stream, x.buffer, x.parser, [&x, &limits](boost::system::error_code e, std::size_t) {
      if (e) x.failure = step_error("read", e, limits);
    });
  });
}

bool is_ip_address(const std::string& host) {
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

Result<BackendResponse> http_exchange(const HttpOrigin& origin, const BackendRequest& request, const ExchangeLimits& limits) {
  const std::string where = origin.host + ":" + origin.port;
  net::io_context ioc;
  std::vector<tcp::endpoint> endpoints;
  std::uint16_t port = 0;
  if (!parse_decimal(origin.port, port)) return local_error(limits.peer + " port '" + origin.port + "' is not a number");
  for (const auto& address : origin.addresses) {
    boost::system::error_code ec;
    const auto ip = net::ip::make_address(address, ec);
    if (ec) return local_error(limits.peer + " address '" + address + "' is not an IP address");
    endpoints.emplace_back(ip, port);
  }
  if (origin.addresses.empty()) {
    tcp::resolver resolver(ioc);
    boost::system::error_code ec;
    const auto resolved = resolver.resolve(origin.host, origin.port, ec);
    if (ec) return local_error(limits.peer + " unreachable (" + where + "): " + ec.message());
    for (const auto& entry : resolved) endpoints.push_back(entry.endpoint());
  }

  Exchange x;
  x.request.method_string(request.method);
  x.request.target(request.target);
  x.request.version(11);
  x.request.set(http::field::host, origin.host_header);
  x.request.set(http::field::user_agent, "sshwebd/" SSHRELAY_VERSION);
  x.request.set(http::field::connection, "close");
  for (const auto& [name, value] : request.headers) x.request.set(name, value);
  if (!request.body.empty()) x.request.body() = request.body;
  x.request.prepare_payload();
  if (limits.body_limit) x.parser.body_limit(*limits.body_limit);
  x.parser.header_limit(limits.header_limit);

  net::ssl::context ssl(net::ssl::context::tls_client);
  beast::tcp_stream plain(ioc);
  beast::ssl_stream<beast::tcp_stream> secure(ioc, ssl);
  auto& lowest = origin.tls ? beast::get_lowest_layer(secure) : plain;
  if (origin.tls) {
    ssl.set_default_verify_paths();
    ssl.set_verify_mode(net::ssl::verify_peer);
    secure.set_verify_callback(net::ssl::host_name_verification(origin.host));
    // SNI names a host; an address is not sent (RFC 6066 §3).
    if (!is_ip_address(origin.host)) SSL_set_tlsext_host_name(secure.native_handle(), origin.host.c_str());
  }
  lowest.expires_at(limits.deadline);
  lowest.async_connect(endpoints, [&](boost::system::error_code e, const tcp::endpoint&) {
    if (e) {
      x.failure = e == beast::error::timeout ? step_error("connect", e, limits) : limits.peer + " unreachable (" + where + "): " + e.message();
      return;
    }
    if (!origin.tls) return exchange(plain, x, limits);
    secure.async_handshake(net::ssl::stream_base::client, [&](boost::system::error_code h) {
      if (h) {
        x.failure = step_error("TLS handshake", h, limits);
        return;
      }
      exchange(secure, x, limits);
    });
  });
  ioc.run();
  if (!x.failure.empty()) return local_error(x.failure);
  auto response = x.parser.release();
  BackendResponse out;
  out.status = response.result_int();
  out.reason = std::string(response.reason());
  if (out.reason.empty()) out.reason = std::string(http::obsolete_reason(response.result()));
  for (const auto& field : response) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  out.body = std::move(response.body());
  return out;
}

Result<BackendResponse> call_backend(const std::string& backend_url, const BackendRequest& request,
                                     std::chrono::milliseconds timeout) {
  auto url = boost::urls::parse_uri(backend_url);
  if (!url || (url->scheme() != "http" && url->scheme() != "https") || url->host().empty()) {
    return local_error("backend '" + backend_url + "' is not an http:// or https:// URL");
  }
  HttpOrigin origin;
  origin.tls = url->scheme() == "https";
  origin.host = url->host_address();
  origin.port = url->has_port() ? std::string(url->port()) : (origin.tls ? "443" : "80");
  origin.host_header = url->has_port() ? origin.host + ":" + origin.port : origin.host;
  BackendRequest sent = request;
  sent.target = std::string(url->encoded_path()) + request.target;
  if (!request.body.empty()) sent.headers.emplace_back("Content-Type", "application/json");
  return http_exchange(origin, sent, {std::chrono::steady_clock::now() + timeout, timeout, std::nullopt, 8 * 1024, "backend"});
}

}  // namespace sshrelay::sshweb
