#pragma once
// Decides what a request gets: a plain HTTP answer (health, stats, /cookie, static files) or a
// WebSocket request for one of the endpoints (native/daemon/endpoint.hpp), which the connection hands to
// admission. No I/O here.
#include <boost/beast/http.hpp>
#include <cstdint>
#include <string>
#include <vector>
#include <variant>

#include "core/wire/query.hpp"
#include "native/daemon/endpoint.hpp"
#include "native/daemon/relay_context.hpp"

namespace sshrelay::daemon {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;

struct WsRequest {
  const Endpoint* endpoint = nullptr;
  std::string rendezvous_id;  // a rendezvous leg's: the path's last segment
  QueryParams params;
  std::string repeated;  // the first parameter name given more than once, or empty
};
// A WebSocket the relay accepts only to say something and close: the 101 is followed by `messages`
// (binary) and a close frame (see core/nassh/corp_relay_v1.hpp).
struct NoticeUpgrade {
  std::string response;  // the 101, ready to write
  std::vector<std::vector<std::uint8_t>> messages;
};
// A request for the rendezvous admin API (/admin/sessions...): answered once its identity is known
// (native/daemon/rendezvous/rendezvous_admin.hpp).
struct AdminRequest {};
using Route = std::variant<http::message_generator, WsRequest, NoticeUpgrade, AdminRequest>;

// An answer with the relay's headers (Server, no-store, nosniff) and the request's keep-alive.
http::response<http::string_body> response(const Request& request, http::status status, std::string_view content_type,
                                           std::string body);

// `peer` is the connection's TCP peer (for the audit trail of /cookie).
Route route(RelayContext& ctx, const Request& request, const ConnectionPeer& peer = {});

// /healthz's JSON: {"ok":true}, and in a cluster the node and whether its session directory is reachable
// (the node serves either way, so a load balancer keeps it: its own sessions live here).
std::string health_body(RelayContext& ctx);

// The user's address: the TCP peer, or what a trusted proxy says in CF-Connecting-IP, X-Real-IP or
// X-Forwarded-For (core/policy/client_address.hpp; --trusted-proxies).
std::string client_address(const RelayContext& ctx, const Request& request, const ConnectionPeer& peer);

}  // namespace sshrelay::daemon
