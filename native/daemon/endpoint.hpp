#pragma once
// The daemon's WebSocket endpoints: path -> what admission must do -> which session kind runs. Every
// endpoint goes through the same admission pipeline (native/daemon/admission.hpp): origin, per-source
// rate, identity, caps, target policy and dial, upgrade. Adding an endpoint is one entry in
// endpoint.cpp's table and, for a new session kind, one make_* function (see docs/architecture.md).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/common/result.hpp"
#include "core/policy/target.hpp"
#include "core/rendezvous/rendezvous_registry.hpp"
#include "core/wire/query.hpp"
#include "native/daemon/relay_context.hpp"
#include "native/daemon/session.hpp"
#include "native/daemon/session_driver.hpp"
#include "native/daemon/target_dialer.hpp"

namespace sshrelay::daemon {

// What an endpoint's request asks for, parsed from its query.
struct EndpointRequest {
  std::optional<Target> target;           // a new session to this target
  std::string target_user;                // informational (dstUsername)
  std::optional<std::string> resume_sid;  // or: resume this session
  std::uint64_t resume_ack = 0;
  bool pack_frames = false;               // v4: several frames per WebSocket message (packFrames=1)
  bool tunnel_streams = false;            // /tunnel?streams=1 (core/tunnel/streamed_http.hpp)
  bool tunnel_stable_subdomain = false;   // /tunnel?subdomain=stable: the principal's own, every time
};

// A refusal in the request itself: the close code says which (the HTTP status follows from it).
struct RequestRefusal {
  std::uint16_t code;
  std::string reason;
};

class RendezvousPair;

struct Endpoint {
  std::string_view path;          // the whole path, or (prefix) the path before a rendezvous id
  std::string_view kind;          // "v4", "relay": in logs, audit events and /statz
  std::string_view subprotocol;   // echoed in the 101 when the client offers it ("ssh", "binary")
  // v4 clients (the Secure Shell extension) show only a close reason, so refusals complete the upgrade
  // and close with a code; others get an HTTP status with a readable body before any upgrade.
  bool refusals_as_close_frames;
  std::size_t max_message;        // largest client message, payload bytes
  // Parses the query. `fixed_target`: the operator's --relay-target, which replaces host=/port=.
  std::variant<EndpointRequest, RequestRefusal> (*parse)(const QueryParams& params, const std::optional<Target>& fixed_target);
  // The session for a dialed target (not yet registered or started).
  std::shared_ptr<Session> (*make_session)(RelayContext& ctx, Strand strand, DialOutcome dialed,
                                           SessionDescription description);
  // Rendezvous legs (no dial): `path` is a prefix followed by the rendezvous id, and this makes the leg's
  // session on the pair's strand. Null for the others.
  std::shared_ptr<Session> (*make_leg)(RelayContext& ctx, const std::shared_ptr<RendezvousPair>& pair,
                                       rendezvous::Slot slot, SessionDescription description);
  bool resumable_leg;  // the leg speaks corp-relay-v4 framing and may resume (else: swsrs's plain leg)
  // A session the relay hosts itself, with no target to dial (a tunnel): made on `strand` after the caps.
  // Null for the others.
  std::shared_ptr<Session> (*make_hosted)(RelayContext& ctx, Strand strand, SessionDescription description) = nullptr;
};

// The endpoint serving `path`, or null. `id`: for a rendezvous leg, the id after its prefix.
const Endpoint* find_endpoint(std::string_view path, std::string* id = nullptr);

}  // namespace sshrelay::daemon
