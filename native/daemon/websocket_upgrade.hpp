#pragma once
// The HTTP side of a WebSocket upgrade (RFC 6455 §4.2): which subprotocol to echo and the 101 answer.
// The request itself was checked by the router (one valid Sec-WebSocket-Key, version 13).
#include <string>
#include <string_view>

namespace sshrelay::daemon {

// base64(SHA-1(key + the RFC's GUID)).
std::string websocket_accept_key(std::string_view key);

// Whether `offered` (a Sec-WebSocket-Protocol header: a comma-separated list) names `protocol`.
bool offers_subprotocol(std::string_view offered, std::string_view protocol);

// "HTTP/1.1 101 Switching Protocols" with Upgrade, Connection, Sec-WebSocket-Accept and, when not empty,
// Sec-WebSocket-Protocol: `subprotocol` (Chrome drops the connection unless an offered one is echoed).
std::string upgrade_response(std::string_view key, std::string_view subprotocol);

}  // namespace sshrelay::daemon
