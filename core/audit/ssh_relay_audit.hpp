#pragma once
// The audit trail in the Python relay's own shape (ssh-relay, --audit-format ssh-relay), so that Splunk
// searches and dashboards built on it keep working after the switch: its event names (handshake,
// session.start, session.reconnect, session.close, session_capped, target_denied, port_pool_exhausted),
// its field names in its order, and its reason vocabulary. Events it never had (auth.denied, other refusals, audit.lost)
// keep our event name with its field names around them. Field by field: docs/audit.md ("The Python
// relay's format").
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/audit/audit_event.hpp"

namespace sshrelay {

nlohmann::ordered_json to_ssh_relay_json(const AuditEvent& event);

// Its timestamp: Python's datetime.isoformat() in UTC, "2026-04-18T15:30:00.123000+00:00" (no fraction
// when it is zero).
std::string ssh_relay_timestamp(std::int64_t unix_ms);

// Its session.close reasons: closed (the target or the client ended it), grace_expired, server_shutdown,
// handler_error (anything else; the text is in "error").
std::string ssh_relay_close_reason(const AuditEvent& event);

}  // namespace sshrelay
