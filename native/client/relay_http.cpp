#include "native/client/relay_http.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace sshrelay::client {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {

// Writes the request and reads the answer on a connected (and, for TLS, handshaken) stream.
template <class Stream>
Result<HttpReply> exchange(asio::io_context& ioc, Stream& stream, const TransportOptions& options,
                           http::request<http::string_body>& request) {
  error_code failure;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1 << 20);
  beast::flat_buffer buffer;
  beast::get_lowest_layer(stream).expires_after(options.handshake_timeout);
  http::async_write(stream, request, [&](error_code ec, std::size_t) {
    if (ec) {
      failure = ec;
      return;
    }
    http::async_read(stream, buffer, parser, [&](error_code e, std::size_t) { failure = e; });
  });
  ioc.run();
  if (failure) return local_error("request to " + options.relay.to_string() + ": " + failure.message());
  auto response = parser.release();
  return HttpReply{response.result_int(), std::move(response.body())};
}

}  // namespace

Result<HttpReply> relay_http_request(const TransportOptions& options, http::verb method, const std::string& target,
                                     const std::string& body,
                                     const std::vector<std::pair<std::string, std::string>>& headers,
                                     const std::string& content_type) {
  asio::io_context ioc(1);
  beast::tcp_stream tcp_stream(ioc);
  tcp::resolver resolver(ioc);
  error_code failure;
  std::string step = "resolve " + options.relay.host;
  tcp_stream.expires_after(options.connect_timeout);
  resolver.async_resolve(options.relay.host, std::to_string(options.relay.port),
                         [&](error_code ec, const tcp::resolver::results_type& results) {
                           if (ec) {
                             failure = ec;
                             return;
                           }
                           step = "connect to " + options.relay.to_string();
                           tcp_stream.async_connect(results, [&](error_code e, const tcp::endpoint&) { failure = e; });
                         });
  ioc.run();
  ioc.restart();
  if (failure) return local_error(step + ": " + failure.message());

  http::request<http::string_body> request{method, target, 11};
  request.set(http::field::host, options.relay.host_header());
  request.set(http::field::user_agent, options.user_agent);
  if (!options.origin.empty()) request.set(http::field::origin, options.origin);
  for (const auto& [name, value] : options.headers) request.set(name, value);
  for (const auto& [name, value] : headers) request.set(name, value);
  if (!body.empty()) request.set(http::field::content_type, content_type);
  request.body() = body;
  request.prepare_payload();

  if (!options.relay.tls) return exchange(ioc, tcp_stream, options, request);
  if (!options.tls) return local_error("https:// needs a TLS context");
  beast::ssl_stream<beast::tcp_stream> tls(std::move(tcp_stream), *options.tls);
  if (!name_tls_peer(tls, options)) return local_error("cannot set the TLS server name");
  beast::get_lowest_layer(tls).expires_after(options.connect_timeout);
  tls.async_handshake(asio::ssl::stream_base::client, [&](error_code ec) { failure = ec; });
  ioc.run();
  ioc.restart();
  if (failure) return local_error("TLS handshake with " + options.relay.to_string() + ": " + failure.message());
  return exchange(ioc, tls, options, request);
}

}  // namespace sshrelay::client
