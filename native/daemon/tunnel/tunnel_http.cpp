#include "native/daemon/tunnel/tunnel_http.hpp"

#include "core/tunnel/header_filter.hpp"
#include "core/tunnel/streamed_http.hpp"
#include "native/daemon/log.hpp"
#include "native/daemon/tunnel/tunnel_hub.hpp"
#include "native/daemon/tunnel/tunnel_session.hpp"

namespace sshrelay::daemon {
namespace {

// The relay's own answers (no tunnel, over the cap): as every other answer of the relay's.
TunnelResponse plain(const Request& request, http::status status, std::string body) {
  return response(request, status, "text/plain; charset=utf-8", std::move(body));
}

}  // namespace

void serve_tunnel_request(RelayContext& ctx, const Request& request, const std::string& client_ip,
                          const tunnel::HostMatch& match, std::function<void(TunnelResponse)> done) {
  if (std::holds_alternative<tunnel::InvalidTunnelHost>(match) || !ctx.tunnels) {
    return done(plain(request, http::status::not_found, "invalid tunnel\n"));
  }
  auto session = ctx.tunnels->find(std::get<std::string>(match));
  if (!session) return done(plain(request, http::status::not_found, "tunnel not found\n"));
  if (!ctx.tunnels->begin_http(client_ip)) {
    log(LogLevel::info, "tunnel request from " + client_ip + " refused: --tunnel-max-http-per-ip reached");
    return done(plain(request, http::status::too_many_requests, "too many concurrent requests\n"));
  }
  tunnel::HeaderList received;
  for (const auto& field : request) received.emplace_back(std::string(field.name_string()), std::string(field.value()));
  const auto version = request.version();
  const bool keep_alive = request.keep_alive();
  session->http_request(std::string(request.method_string()), std::string(request.target()),
                        tunnel::forwardable_request_headers(received), request.body(),
                        [&ctx, client_ip, version, keep_alive, done = std::move(done)](tunnel::HttpAnswer answer) {
                          ctx.tunnels->end_http(client_ip);
                          TunnelResponse response{static_cast<http::status>(answer.status), version};
                          for (const auto& [name, value] : answer.headers) response.insert(name, value);
                          response.keep_alive(keep_alive);
                          response.body() = std::move(answer.body);
                          response.prepare_payload();
                          done(std::move(response));
                        });
}

bool stream_to_tunnel(RelayContext& ctx, const http::request_header<>& header, const std::string& client_ip,
                      const tunnel::HostMatch& match, const std::function<VisitorStream()>& take_stream,
                      std::span<const std::uint8_t> already_read) {
  const auto* subdomain = std::get_if<std::string>(&match);
  if (!subdomain || !ctx.tunnels) return false;
  auto session = ctx.tunnels->find(*subdomain);
  if (!session || !session->streams() || !ctx.tunnels->begin_http(client_ip)) return false;
  tunnel::HeaderList fields;
  for (const auto& field : header) fields.emplace_back(std::string(field.name_string()), std::string(field.value()));
  const auto head = tunnel::streamed_request_head(header.method_string(), header.target(), fields);
  std::vector<std::uint8_t> first(head.begin(), head.end());
  first.insert(first.end(), already_read.begin(), already_read.end());
  session->adopt_visitor(take_stream(), std::move(first), client_ip);
  return true;
}

}  // namespace sshrelay::daemon
