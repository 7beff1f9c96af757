#include "core/metrics/audit_counters.hpp"

namespace sshrelay::metrics {
namespace {

std::string endpoint_of(const AuditEvent& e) { return e.endpoint.empty() ? "none" : e.endpoint; }
std::string code_of(const AuditEvent& e) { return e.close_code ? std::to_string(*e.close_code) : "none"; }

std::vector<Sample> samples(const std::map<std::string, std::uint64_t>& counts, const char* label) {
  std::vector<Sample> out;
  for (const auto& [value, count] : counts) out.push_back({{{label, value}}, static_cast<double>(count)});
  return out;
}

std::vector<Sample> samples(const std::map<std::pair<std::string, std::string>, std::uint64_t>& counts,
                            const char* first, const char* second) {
  std::vector<Sample> out;
  for (const auto& [key, count] : counts) out.push_back({{{first, key.first}, {second, key.second}}, static_cast<double>(count)});
  return out;
}

}  // namespace

void AuditCounters::count(const AuditEvent& e) {
  ++events_[std::string(audit_event_type_name(e.type))];
  switch (e.type) {
    case AuditEventType::session_start:
      ++opened_[endpoint_of(e)];
      break;
    case AuditEventType::session_reconnect:
      ++reconnects_[endpoint_of(e)];
      break;
    case AuditEventType::session_forward:
      ++forwards_[endpoint_of(e)];
      break;
    case AuditEventType::session_close:
      ++closed_[{endpoint_of(e), code_of(e)}];
      if (e.bytes_up) bytes_[{endpoint_of(e), "up"}] += *e.bytes_up;
      if (e.bytes_down) bytes_[{endpoint_of(e), "down"}] += *e.bytes_down;
      break;
    case AuditEventType::auth_denied:
    case AuditEventType::policy_denied:
      ++refusals_[{std::string(audit_event_type_name(e.type)), code_of(e)}];
      break;
    case AuditEventType::rendezvous_create:
      ++rendezvous_["create"];
      break;
    case AuditEventType::rendezvous_pair:
      ++rendezvous_["pair"];
      break;
    case AuditEventType::rendezvous_resume:
      ++rendezvous_["resume"];
      break;
    case AuditEventType::rendezvous_close:
      ++rendezvous_["close"];
      break;
    case AuditEventType::tunnel_open:
      ++tunnels_["open"];
      break;
    case AuditEventType::tunnel_close:
      ++tunnels_["close"];
      if (e.tunnel_requests) tunnel_requests_ += *e.tunnel_requests;
      if (e.tunnel_connections) tunnel_connections_ += *e.tunnel_connections;
      break;
    default:
      break;
  }
}

void AuditCounters::write(ExpositionWriter& out) const {
  out.family("sshrelay_sessions_opened_total", MetricType::counter, "Sessions opened (target dialed, WebSocket accepted).",
             samples(opened_, "endpoint"));
  out.family("sshrelay_sessions_closed_total", MetricType::counter, "Sessions ended, by the WebSocket close code sent.",
             samples(closed_, "endpoint", "code"));
  out.family("sshrelay_session_reconnects_total", MetricType::counter, "Sessions resumed on a new WebSocket.",
             samples(reconnects_, "endpoint"));
  out.family("sshrelay_session_forwards_total", MetricType::counter,
             "Reconnects handed to the node of the cluster that holds the session.", samples(forwards_, "endpoint"));
  out.family("sshrelay_relayed_bytes_total", MetricType::counter,
             "Payload bytes relayed, up (client to target) and down, counted as each session closes.",
             samples(bytes_, "endpoint", "direction"));
  out.family("sshrelay_refusals_total", MetricType::counter, "Requests refused: auth.denied and policy.denied events.",
             samples(refusals_, "event", "code"));
  out.family("sshrelay_rendezvous_events_total", MetricType::counter, "Rendezvous sessions created, paired, resumed, closed.",
             samples(rendezvous_, "action"));
  out.family("sshrelay_tunnel_events_total", MetricType::counter, "Tunnels registered (open) and ended (close).",
             samples(tunnels_, "action"));
  out.single("sshrelay_tunnel_requests_total", MetricType::counter,
             "HTTP requests carried by tunnels, counted as each tunnel closes.", static_cast<double>(tunnel_requests_));
  out.single("sshrelay_tunnel_connections_total", MetricType::counter,
             "Raw TCP connections carried by tunnels, counted as each tunnel closes.", static_cast<double>(tunnel_connections_));
  out.family("sshrelay_audit_events_total", MetricType::counter, "Audit events emitted, by event.action.",
             samples(events_, "action"));
}

}  // namespace sshrelay::metrics
