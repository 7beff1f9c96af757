#pragma once
// The visitor's side of a tunnel: a request whose Host is <16 hex>.<--tunnel-domain> is not the relay's
// to answer. An invalid label or an unknown tunnel is 404, a visitor over --tunnel-max-http-per-ip
// concurrent requests 429; anything else goes to the tunnel (its headers filtered as wsproxy does,
// core/tunnel/header_filter.hpp) and the tunnel's answer comes back.
#include <boost/beast/http.hpp>
#include <cstdint>
#include <functional>
#include <span>
#include <variant>
#include <vector>
#include <string>

#include "core/tunnel/tunnel_host.hpp"
#include "native/daemon/client_connection.hpp"
#include "native/daemon/relay_context.hpp"
#include "native/daemon/router.hpp"

namespace sshrelay::daemon {

// A visitor's request body: wsproxy's limit (bodies travel base64 in one JSON message).
inline constexpr std::size_t kTunnelRequestBodyLimit = 10 * 1024 * 1024;

using TunnelResponse = http::response<http::string_body>;

// `match` is not NotTunnelHost. `done` gets the response, on any thread, exactly once.
void serve_tunnel_request(RelayContext& ctx, const Request& request, const std::string& client_ip,
                          const tunnel::HostMatch& match, std::function<void(TunnelResponse)> done);

// A tunnel that takes its visitors as streams (core/tunnel/streamed_http.hpp): once the header is read,
// the visitor's connection is handed over whole — `header` (the visitor's request, its body unread) and
// `already_read` (bytes that followed the header) go to the tunnel first. False when `match` names no
// such tunnel or the visitor is over --tunnel-max-http-per-ip: then answer as for any tunnel request.
using VisitorStream = std::variant<PlainStream, TlsStream>;
bool stream_to_tunnel(RelayContext& ctx, const http::request_header<>& header, const std::string& client_ip,
                      const tunnel::HostMatch& match, const std::function<VisitorStream()>& take_stream,
                      std::span<const std::uint8_t> already_read);

}  // namespace sshrelay::daemon
