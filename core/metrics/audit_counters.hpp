#pragma once
// The relay's counters, fed by its audit events: every session start, reconnect and close, every refusal
// and every rendezvous step already passes through the audit log, so counting there is the one place
// that sees them all (a counter kept at each call site would drift from the trail). Not thread-safe:
// the daemon feeds it under its own lock.
//
// Families (all counters; docs/operations.md):
//   sshrelay_sessions_opened_total{endpoint}
//   sshrelay_sessions_closed_total{endpoint,code}        code: the WebSocket close code sent, or "none"
//   sshrelay_session_reconnects_total{endpoint}
//   sshrelay_session_forwards_total{endpoint}
//   sshrelay_relayed_bytes_total{endpoint,direction}    direction: up (client to target) | down; counted as
//                                                        each session closes
//   sshrelay_refusals_total{event,code}                  event: auth.denied | policy.denied
//   sshrelay_rendezvous_events_total{action}            create | pair | resume | close
//   sshrelay_tunnel_events_total{action}                open | close
//   sshrelay_tunnel_requests_total, sshrelay_tunnel_connections_total: carried by tunnels, counted as
//                                                        each tunnel closes
//   sshrelay_audit_events_total{action}                 every event, by event.action
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "core/audit/audit_event.hpp"
#include "core/metrics/exposition.hpp"

namespace sshrelay::metrics {

class AuditCounters {
 public:
  void count(const AuditEvent& event);
  void write(ExpositionWriter& out) const;

 private:
  using Key = std::pair<std::string, std::string>;
  std::map<std::string, std::uint64_t> opened_;      // endpoint
  std::map<Key, std::uint64_t> closed_;              // endpoint, code
  std::map<std::string, std::uint64_t> reconnects_;  // endpoint
  std::map<std::string, std::uint64_t> forwards_;    // endpoint
  std::map<Key, std::uint64_t> bytes_;               // endpoint, direction
  std::map<Key, std::uint64_t> refusals_;            // event, code
  std::map<std::string, std::uint64_t> rendezvous_;  // action
  std::map<std::string, std::uint64_t> tunnels_;     // action
  std::uint64_t tunnel_requests_ = 0;
  std::uint64_t tunnel_connections_ = 0;
  std::map<std::string, std::uint64_t> events_;      // action
};

}  // namespace sshrelay::metrics
