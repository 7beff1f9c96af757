#pragma once
// The control messages of a tunnel WebSocket (wsproxy's /tunnel): JSON objects in text messages, with a
// "type". The relay sends tunnel_ready once, then http_request for each request to the tunnel's
// subdomain and tcp_open for each connection to its raw port; the client answers http_response and may
// end a connection with tcp_close (the relay too). TCP bytes travel in binary messages (tunnel_frame.hpp).
//
// What the client sends is checked the way wsproxy checks it, and whatever fails is ignored, not an
// error: unparseable JSON, an unknown type, fields of the wrong JSON type, an id that is not exactly 12
// lowercase hex characters. (A request whose answer is ignored times out with 504, as with wsproxy.)
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace sshrelay::tunnel {

// Header fields in message order; names as given, one value per name (repeats joined with ", ").
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Request and connection ids: 12 lowercase hex characters (6 random bytes).
inline constexpr std::size_t kWireIdLength = 12;
bool is_wire_id(std::string_view id);

struct TunnelReady {
  std::string tunnel_url;  // "https://<sub>.<domain>", or "" when the relay has no tunnel domain
  std::uint16_t raw_port = 0;  // 0: no port was free (or the pool is off)
  // Beyond wsproxy: the client registered with ?streams=1 and gets visitors' HTTP exchanges as
  // connections (streamed_http.hpp). Sent only when true, so wsproxy's clients see its message.
  bool streams = false;
};
struct HttpRequest {
  std::string id;
  std::string method;
  std::string path;  // the request target, query included
  HeaderList headers;
  std::string body;  // raw bytes; sent base64 (wsproxy always encodes a non-empty body)
};
struct HttpResponse {
  std::string id;
  std::int64_t status = 0;  // checked (100..999) where it is applied, as wsproxy does
  HeaderList headers;
  std::string body;
  std::string body_encoding;  // "" (the body is the text itself) or "base64"; anything else is refused later
};
struct TcpOpen {
  std::string conn_id;
};
struct TcpClose {
  std::string conn_id;
};

std::string to_json(const TunnelReady& m);
std::string to_json(const HttpRequest& m);
std::string to_json(const TcpOpen& m);
std::string to_json(const TcpClose& m);
std::string to_json(const HttpResponse& m);  // what a tunnel client sends (the CLI, tests)

// What a tunnel client may send; nothing for whatever the relay ignores.
using ClientMessage = std::variant<HttpResponse, TcpClose>;
std::optional<ClientMessage> parse_client_message(std::string_view text);

// What the relay sends, read by a tunnel client (the CLI); nothing for what it does not know.
using RelayMessage = std::variant<TunnelReady, HttpRequest, TcpOpen, TcpClose>;
std::optional<RelayMessage> parse_relay_message(std::string_view text);

}  // namespace sshrelay::tunnel
