#pragma once
// What a relay-side session machine asks its driver to do, whatever the endpoint's protocol: the
// messages for the client's WebSocket (pulled one at a time, when the socket's single writer is free)
// and the events the driver reports (log, audit, registry).
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "core/wire/replay_buffer.hpp"

namespace sshrelay {

// A binary WebSocket message.
struct SendMessage {
  FrameBytes bytes;
};
// A WebSocket ping (liveness, and keeping proxies from cutting a quiet socket).
struct SendPing {};
// The close frame; nothing follows it. The reason is valid UTF-8 of at most 123 bytes.
struct SendClose {
  std::uint16_t code = 0;
  std::string reason;
};
using ClientOutput = std::variant<SendMessage, SendPing, SendClose>;

// The client's transport is gone (a failed read or write, or no answer to a ping): the driver drops
// the socket. A resumable session then waits for a reconnect.
struct TransportLost {
  std::string why;
};
// The session is over: the driver closes the target and forgets the session once the close frame (if
// a socket is attached) is written.
struct SessionEnded {
  std::uint16_t code = 0;
  std::string reason;
};
// The reason of a session that waited out its grace period without a reconnect (the audit trail's
// ssh-relay format tells it apart by this text).
inline constexpr std::string_view kGraceExpiredReason = "grace period expired";
using SessionEvent = std::variant<TransportLost, SessionEnded>;

}  // namespace sshrelay
