#include "core/audit/ssh_relay_audit.hpp"


#include "core/policy/target.hpp"
#include "core/session/server_output.hpp"
#include "core/wire/close_code.hpp"

namespace sshrelay {
namespace {

using ordered_json = nlohmann::ordered_json;

// "host:port" (IPv6 in brackets) as the two fields it logs; the port is null when there is none.
struct HostPort {
  std::string host;
  ordered_json port;
};

HostPort split_target(const std::string& target) {
  auto parsed = parse_target(target, 0);
  if (!parsed) return {target, nullptr};
  return {parsed->host, parsed->port ? ordered_json(parsed->port) : ordered_json(nullptr)};
}

ordered_json text_or_null(const std::string& s) { return s.empty() ? ordered_json(nullptr) : ordered_json(s); }

template <class T>
ordered_json value_or_null(const std::optional<T>& v) {
  return v ? ordered_json(*v) : ordered_json(nullptr);
}

// {"provider","sub","email"}, or null for a session nobody vouched for.
ordered_json identity_of(const AuditEvent& e) {
  if (e.identity_provider.empty()) return nullptr;
  ordered_json id = ordered_json::object();
  id["provider"] = e.identity_provider;
  id["sub"] = text_or_null(e.identity_subject);
  id["email"] = text_or_null(e.identity_email);
  return id;
}

template <class Ms>
double seconds(Ms ms) {
  return static_cast<double>(ms) / 1000.0;
}

ordered_json port_or_null(std::uint16_t port) { return port ? ordered_json(port) : ordered_json(nullptr); }

// Its names for our cap refusals (app.py's _session_cap_reason); other refusals keep our words.
std::string cap_reason(const std::string& ours) {
  if (ours == kRelaySessionCapReason) return "global_session_cap";
  if (ours == kPrincipalSessionCapReason) return "per_identity_session_cap";
  return ours;
}

void start_fields(ordered_json& j, const AuditEvent& e, const char* name, bool with_id) {
  j["event"] = name;
  if (with_id) j["event_id"] = e.event_id;
  j["ts"] = ssh_relay_timestamp(e.time_ms);
}

// How its three session events begin: event, ts, ts_unix, session_id.
void session_fields(ordered_json& j, const AuditEvent& e, const char* name) {
  start_fields(j, e, name, false);
  j["ts_unix"] = seconds(e.time_ms);
  j["session_id"] = e.sid;
}

}  // namespace

std::string ssh_relay_timestamp(std::int64_t unix_ms) {
  std::string text = format_utc_millis(unix_ms);  // "2026-04-18T15:30:00.123Z"
  const auto dot = text.find('.');
  const std::string millis = text.substr(dot + 1, 3);
  text.resize(dot);
  if (millis != "000") text += "." + millis + "000";
  return text + "+00:00";
}

std::string ssh_relay_close_reason(const AuditEvent& e) {
  if (e.close_code == close_code::service_restart) return "server_shutdown";
  if (e.close_reason == kGraceExpiredReason) return "grace_expired";
  if (!e.close_code || *e.close_code == close_code::normal) return "closed";
  return "handler_error";
}

ordered_json to_ssh_relay_json(const AuditEvent& e) {
  ordered_json j = ordered_json::object();
  const HostPort target = split_target(e.target);
  switch (e.type) {
    case AuditEventType::session_start:
      session_fields(j, e, "session.start");
      j["identity"] = identity_of(e);
      j["source_ip"] = text_or_null(e.source_ip);
      // Its source_port is the relay's outbound port (what a firewall sees), not the client's.
      j["source_port"] = port_or_null(e.relay_source_port);
      j["user_agent"] = text_or_null(e.user_agent);
      j["target_host"] = target.host;
      j["target_port"] = target.port;
      j["target_username"] = text_or_null(e.target_user);
      j["dial_seconds"] = e.dial_ms ? ordered_json(seconds(*e.dial_ms)) : ordered_json(nullptr);
      return j;
    case AuditEventType::session_reconnect:
      session_fields(j, e, "session.reconnect");
      j["source_ip"] = text_or_null(e.source_ip);
      j["user_agent"] = text_or_null(e.user_agent);
      j["resume_ack"] = value_or_null(e.resume_ack);
      j["reconnect_count"] = value_or_null(e.reconnect_count);
      return j;
    case AuditEventType::session_close:
      session_fields(j, e, "session.close");
      j["reason"] = ssh_relay_close_reason(e);
      j["error"] = text_or_null(e.error);
      j["duration_seconds"] = e.duration_ms ? ordered_json(seconds(*e.duration_ms)) : ordered_json(nullptr);
      j["bytes_to_target"] = e.bytes_up.value_or(0);
      j["bytes_from_target"] = e.bytes_down.value_or(0);
      j["reconnect_count"] = e.reconnect_count.value_or(0);
      j["client_ssh_banner"] = text_or_null(e.client_banner);
      j["target_ssh_banner"] = text_or_null(e.target_banner);
      j["identity"] = identity_of(e);
      j["source_port"] = port_or_null(e.relay_source_port);
      j["target_host"] = target.host;
      j["target_port"] = target.port;
      return j;
    case AuditEventType::policy_denied: {
      const char* name = e.close_code == close_code::session_cap            ? "session_capped"
                         : e.close_code == close_code::port_pool_exhausted ? "port_pool_exhausted"
                         // A denial that names a target is the target policy's (origin refusals come first).
                         : e.close_code == close_code::denied && !e.target.empty() ? "target_denied"
                                                                                    : "policy.denied";
      start_fields(j, e, name, true);
      j["identity"] = identity_of(e);
      j["source_ip"] = text_or_null(e.source_ip);
      j["target_host"] = target.host;
      j["target_port"] = target.port;
      if (std::string(name) != "port_pool_exhausted") j["reason"] = cap_reason(e.reason);
      return j;
    }
    case AuditEventType::cookie_request:
      // Its "handshake": every /cookie request, answered or not.
      start_fields(j, e, "handshake", true);
      j["ts_epoch"] = seconds(e.time_ms);
      j["identity"] = identity_of(e);
      j["source_ip"] = text_or_null(e.source_ip);
      j["user_agent"] = text_or_null(e.user_agent);
      j["extension_id"] = text_or_null(e.extension_id);
      j["redirect_path"] = text_or_null(e.redirect_path);
      return j;
    case AuditEventType::auth_denied:
    case AuditEventType::audit_lost:
    case AuditEventType::rendezvous_create:
    case AuditEventType::rendezvous_pair:
    case AuditEventType::rendezvous_resume:
    case AuditEventType::rendezvous_close:
    case AuditEventType::tunnel_open:
    case AuditEventType::tunnel_close:
    case AuditEventType::session_forward:
    case AuditEventType::session_handover:
    case AuditEventType::sshweb_command:
      break;
  }
  // Events it never had: its common fields around our own (to_json), so nothing is lost.
  start_fields(j, e, std::string(audit_event_type_name(e.type)).c_str(), true);
  j["ts_unix"] = seconds(e.time_ms);
  j["identity"] = identity_of(e);
  j["source_ip"] = text_or_null(e.source_ip);
  j["reason"] = text_or_null(e.reason);
  const nlohmann::json ours = to_json(e);
  for (const auto& [key, value] : ours.items()) {
    if (!j.contains(key)) j[key] = value;
  }
  return j;
}

}  // namespace sshrelay
