#pragma once
// The audit trail's event: one struct for every type, its stable JSON form (docs/audit.md), and the
// redaction of request paths. Sans-I/O: the time is passed in, nothing is written anywhere here; the
// daemon's sinks (native/daemon/audit/) carry the JSON to stderr, files, Splunk and PAN-OS.
//
// Secrets: the JSON never carries a query-string value that is not on the allow-list (see
// redact_query), whatever the caller put in `path`. Bearer tokens have no field of their own.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/common/utc_time.hpp"  // format_utc_millis, for the trail's @timestamp

namespace sshrelay {

enum class AuditEventType {
  session_start,      // "session.start": target dialed, WebSocket accepted, before the first byte flows
  session_reconnect,  // "session.reconnect": a socket took over a session (after the resume check passed)
  session_close,      // "session.close": the session ended, on every exit path (client, target, grace, shutdown)
  auth_denied,        // "auth.denied": no identity, or an identity that failed verification
  policy_denied,      // "policy.denied": origin, target, session cap, unknown session/owner mismatch
  audit_lost,         // "audit.lost": some sink dropped events; `lost` says which and how many
  cookie_request,     // "cookie.request": a /cookie request (the Secure Shell extension finding the relay)
  rendezvous_create,  // "rendezvous.create": a rendezvous session minted (or revoked: reason "revoked")
  rendezvous_pair,    // "rendezvous.pair": both legs of a rendezvous session attached
  rendezvous_resume,  // "rendezvous.resume": a leg of a rendezvous session resumed after a drop
  rendezvous_close,   // "rendezvous.close": a rendezvous session ended (expired, revoked) or a pairing ended
  tunnel_open,        // "tunnel.open": a tunnel registered (its URL in target, its raw port in resolved_port)
  tunnel_close,       // "tunnel.close": a tunnel ended, with the requests and connections it carried
  session_forward,    // "session.forward": a reconnect for a session another node holds, handed to that node
  session_handover,   // "session.handover": a session handed to a successor process (or taken over from one)
  sshweb_command,     // "sshweb.command": sshwebd ran (or refused) an SSH-Web command; reason says which, how it ended
};

// "session.start", "session.reconnect", ... (the event.action value).
std::string_view audit_event_type_name(AuditEventType type);
std::optional<AuditEventType> parse_audit_event_type(std::string_view name);

// How many events one sink has lost (dropped because its queue was full, or given up on delivering).
struct AuditLostCount {
  std::string sink;             // "stderr", "jsonl", "splunk_hec", "pan_userid"
  std::uint64_t total = 0;      // since the daemon started
  std::uint64_t since_last = 0; // since the previous audit.lost report

  friend bool operator==(const AuditLostCount&, const AuditLostCount&) = default;
};

// Empty strings and zero ports mean "not known / not applicable" and are left out of the JSON, as are
// unset optionals. Which type carries which field is tabulated in docs/audit.md.
struct AuditEvent {
  AuditEventType type = AuditEventType::session_start;
  std::int64_t time_ms = 0;  // Unix time in milliseconds (the caller reads the clock)
  std::string event_id;      // unique per event (32 hex digits), filled in by the audit log

  std::string principal;         // who: the verified identity ("anonymous" with the none provider)
  std::string identity_provider; // the provider that vouched for it ("cloudflare-access", ...); empty: nobody
  std::string identity_subject;  // the token's sub (or the trusted header's value)
  std::string identity_email;    // the token's email, if it has one
  std::string user_agent;        // the client's User-Agent header
  std::string source_ip;         // the client as the relay sees it (the proxy's address behind a proxy)
  std::uint16_t source_port = 0;
  std::string target;            // "host:port" as the user asked for it (IPv6 bracketed)
  std::string target_user;       // dstUsername from /v4/connect: informational, the relay never logs in
  std::string resolved_ip;       // the address actually dialed (after the SSRF check)
  std::uint16_t resolved_port = 0;
  std::string relay_ip;          // the relay's own end of the target connection: what a firewall sees
  std::uint16_t relay_source_port = 0;  // ... and its source port (PAN User-ID maps relay_ip:port -> user)
  std::string sid;               // session id, to join start/reconnect/close (see docs/audit.md on secrecy)
  std::string endpoint;          // the relay endpoint's kind: "v4" (/v4/*), "relay" (/relay, /websockify)
  std::optional<std::uint64_t> bytes_up;    // client -> target payload bytes
  std::optional<std::uint64_t> bytes_down;  // target -> client payload bytes
  std::optional<std::uint64_t> duration_ms; // session.close: first connect to close
  std::optional<std::uint16_t> close_code;  // WebSocket close code sent to the client (1000, 4403, ...)
  std::string close_reason;
  std::string reason;            // why something was denied, or other detail
  std::string error;             // session.close: what went wrong, when the ending was an error
  std::optional<std::uint64_t> dial_ms;          // session.start: how long the target's TCP connect took
  std::optional<std::uint32_t> reconnect_count;  // session.reconnect/close: reconnects so far
  std::optional<std::uint64_t> resume_ack;       // session.reconnect: the client's ack (bytes it had)
  std::string client_banner;     // session.close: the SSH version lines each side sent first (up to 128
  std::string target_banner;     //   characters of the first line; empty if none was seen)
  std::string extension_id;      // cookie.request: its ext= (the extension to return to)
  std::string redirect_path;     // cookie.request: its path= (the extension page)
  std::string path;              // request target (path + query); redacted on output
  std::string rendezvous_id;     // rendezvous.*: the rendezvous session (its legs are sessions with their own sid)
  std::string rendezvous_slot;   // rendezvous.*: "initiator" or "responder", for a leg's event
  std::string peer_principal;    // rendezvous.pair/close: the other leg's principal, where known
  std::optional<std::uint64_t> tunnel_requests;     // tunnel.close: HTTP requests sent through the tunnel
  std::optional<std::uint64_t> tunnel_connections;  // tunnel.close: raw TCP connections carried
  std::vector<AuditLostCount> lost;  // audit.lost only
};

// Keeps the path and every parameter name, replaces every query value with "REDACTED" unless its name is
// on the allow-list: host, port, dstUsername, egressDomain, ack, ext, path, version, method, packFrames. Names are
// compared exactly (case-sensitive, not percent-decoded), so "Token=" or "%74oken=" are redacted too.
// A parameter without '=' is a value in disguise ("?eyJhbGciOi..."): the whole component becomes
// "REDACTED" unless it is an allow-listed name. A name that does not look like one (more than 32
// characters, or anything besides letters, digits, '_', '-', '.') is replaced as well. A fragment
// becomes "#REDACTED". sid is redacted: it names a live session (see docs/audit.md). Idempotent.
std::string redact_query(std::string_view path);

// The stable JSON object documented in docs/audit.md: flat dotted keys, ECS names where ECS has one.
// The path is run through redact_query and cut to kMaxAuditPathLength.
nlohmann::json to_json(const AuditEvent& event);

// Which field names and vocabulary the trail uses: ours (docs/audit.md), or the Python relay's
// (ssh-relay; core/audit/ssh_relay_audit.hpp) so that searches built on it keep working.
enum class AuditFormat { sshrelay, ssh_relay };
std::optional<AuditFormat> parse_audit_format(std::string_view name);  // "sshrelay", "ssh-relay"

// The event in `format`, serialized on one line (no newline). Invalid UTF-8 from a peer (a path, a
// reason) is replaced with U+FFFD instead of throwing. Never throws except std::bad_alloc.
std::string to_json_line(const AuditEvent& event, AuditFormat format = AuditFormat::sshrelay);

// event.reason of the two session-cap refusals (the ssh-relay format renames them).
inline constexpr std::string_view kRelaySessionCapReason = "relay session cap";
inline constexpr std::string_view kPrincipalSessionCapReason = "per-principal session cap";

inline constexpr std::size_t kMaxAuditPathLength = 2048;
inline constexpr int kAuditSchemaVersion = 1;

}  // namespace sshrelay
