#pragma once
// The client's own error codes, in one Boost.System category, for failures that are not already a
// network, TLS or WebSocket error_code: a relay that does not speak v4 the way design.md §2 says, or a
// session that cannot be resumed.
#include <boost/system/error_code.hpp>
#include <type_traits>

namespace sshrelay::client {

enum class errc {
  bad_relay_url = 1,           // the relay URL could not be parsed or used
  upgrade_refused,             // the relay answered the upgrade with an HTTP error status
  subprotocol_not_echoed,      // the 101 did not carry Sec-WebSocket-Protocol: ssh
  protocol_error,              // the relay's v4 frames broke the protocol (see CloseInfo::detail)
  lost_before_connect,         // the transport dropped before CONNECT_SUCCESS: there is no session to resume
  transport_lost,              // the transport dropped on an endpoint that does not resume (/relay)
  reconnect_gave_up,           // reconnecting did not succeed within the configured total time
  local_side_closed,           // the local peer went away (write failed) while the session was open
  stopped,                     // stop() was called
  credentials_unavailable,     // ConnectionOptions::refresh_headers could not provide credentials
};

const boost::system::error_category& client_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), client_category()};
}

}  // namespace sshrelay::client

template <>
struct boost::system::is_error_code_enum<sshrelay::client::errc> : std::true_type {};
