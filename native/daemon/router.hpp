#pragma once
// Decides what a request gets: a plain HTTP answer (health, stats, /cookie, static files) or a v4
// WebSocket session request for the connection to carry out. No I/O here.
#include <boost/beast/http.hpp>
#include <cstdint>
#include <string>
#include <variant>

#include "core/target.hpp"
#include "native/daemon/relay_context.hpp"

namespace sshrelay::daemon {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;

struct V4Connect {
  Target target;
  std::string username;  // dstUsername: for the audit trail only, the relay never logs in
};
struct V4Reconnect {
  std::string sid;
  std::uint64_t ack;
};
// Complete the upgrade, then close with this code and reason: the only error text the extension shows.
struct WsRefusal {
  std::uint16_t code;
  std::string reason;
};
using V4Request = std::variant<V4Connect, V4Reconnect, WsRefusal>;
using Route = std::variant<http::message_generator, V4Request>;

Route route(RelayContext& ctx, const Request& request);

}  // namespace sshrelay::daemon
