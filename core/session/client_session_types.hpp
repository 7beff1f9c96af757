#pragma once
// The vocabulary between a client session machine (v4 or raw) and its driver — the CLI's
// RelayConnection, the wasm bindings and the page: what to open, how an open failed, how the session
// ended, and what happened on the way (for -v output and the page's status line).
#include <cstdint>
#include <string>
#include <variant>

#include "core/common/time.hpp"

namespace sshrelay {

// Open a WebSocket to the relay at this request target (path and query, after the relay URL's prefix).
struct OpenTransport {
  std::string request_target;
  bool reconnect = false;
  // The relay just refused the previous attempt's credentials: fetch fresh ones before this attempt.
  bool credentials_refused = false;
  unsigned attempt = 0;  // 0 for the first connect; 1, 2, ... within a series of reconnects
};

// Why an open failed. `http_status` is the relay's (or a proxy's) answer to the upgrade, 0 when none
// arrived (network error, timeout; a browser never sees the status). `fatal`: retrying cannot help
// whatever the status (a relay that does not speak the protocol, a bad relay URL).
struct OpenFailure {
  unsigned http_status = 0;
  bool fatal = false;
  std::string detail;
};

// What failed, in words: the failure's own detail, else the status, else "could not be reached".
std::string describe(const OpenFailure& failure);

enum class ClientEnd {
  closed_by_relay,          // the relay sent a close frame: close_code/close_reason say why
  stopped,                  // the application stopped the session
  local_closed,             // the local side went away
  refused,                  // the relay refused the upgrade (http_status) and retrying would not help
  unreachable,              // the first connect failed (network): there is no session to resume
  lost_before_connect,      // the transport dropped before CONNECT_SUCCESS: nothing to resume
  transport_lost,           // the transport dropped and this shape (/relay) does not resume
  gave_up,                  // reconnecting did not succeed before the deadline
  protocol_error,           // the relay broke the protocol (detail)
  credentials_unavailable,  // the driver could not provide credentials for the first connect
};

struct ClientOutcome {
  ClientEnd end = ClientEnd::closed_by_relay;
  std::uint16_t close_code = 0;  // closed_by_relay: the relay's code (0: a close frame without one)
  std::string close_reason;
  unsigned http_status = 0;      // refused/unreachable: the upgrade's HTTP status, if any
  std::string detail;            // human text: what failed
};

// The outcome of a first open that failed (there is no session to resume yet): refused when the relay
// (or a proxy) answered with a status, unreachable when nothing answered.
ClientOutcome first_open_failed(const OpenFailure& failure);

// Progress, for logs and the page's status line.
struct RelayConnected {  // CONNECT_SUCCESS
  std::string session_id;
};
struct TransportDropped {
  std::string why;
  std::uint64_t resume_ack = 0;  // the ack= of the coming reconnect
};
struct AttemptFailed {
  unsigned attempt = 0;
  std::string detail;
  Duration retry_in{0};
};
struct RelayResumed {  // RECONNECT_SUCCESS
  std::uint64_t peer_received = 0;
  std::uint64_t retransmitting = 0;
  Duration after{0};  // since the drop
};
struct CredentialsRetry {};  // the relay refused the credentials: one retry with fresh ones
using ClientEvent = std::variant<RelayConnected, TransportDropped, AttemptFailed, RelayResumed, CredentialsRetry>;

}  // namespace sshrelay
