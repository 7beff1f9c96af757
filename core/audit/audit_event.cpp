#include "core/audit/audit_event.hpp"

#include "core/audit/ssh_relay_audit.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace sshrelay {
namespace {

constexpr std::string_view kRedacted = "REDACTED";
constexpr std::size_t kMaxParameterNameLength = 32;

struct TypeName {
  AuditEventType type;
  std::string_view name;
};
constexpr std::array<TypeName, 16> kTypeNames{{
    {AuditEventType::session_start, "session.start"},
    {AuditEventType::session_reconnect, "session.reconnect"},
    {AuditEventType::session_close, "session.close"},
    {AuditEventType::auth_denied, "auth.denied"},
    {AuditEventType::policy_denied, "policy.denied"},
    {AuditEventType::audit_lost, "audit.lost"},
    {AuditEventType::cookie_request, "cookie.request"},
    {AuditEventType::rendezvous_create, "rendezvous.create"},
    {AuditEventType::rendezvous_pair, "rendezvous.pair"},
    {AuditEventType::rendezvous_resume, "rendezvous.resume"},
    {AuditEventType::rendezvous_close, "rendezvous.close"},
    {AuditEventType::tunnel_open, "tunnel.open"},
    {AuditEventType::tunnel_close, "tunnel.close"},
    {AuditEventType::session_forward, "session.forward"},
    {AuditEventType::session_handover, "session.handover"},
    {AuditEventType::sshweb_command, "sshweb.command"},
}};

// Parameters whose values say where a user went or which page asked, or how it wants its frames: never
// credentials.
constexpr std::array<std::string_view, 10> kKeptParameters{"host", "port", "dstUsername", "egressDomain", "ack",
                                                           "ext",  "path", "version",     "method",       "packFrames"};

bool kept_parameter(std::string_view name) {
  return std::find(kKeptParameters.begin(), kKeptParameters.end(), name) != kKeptParameters.end();
}

bool looks_like_a_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxParameterNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
  });
}

void redact_component(std::string_view component, std::string& out) {
  const auto equals = component.find('=');
  if (equals == std::string_view::npos) {
    if (component.empty() || kept_parameter(component)) {
      out += component;
    } else {
      out += kRedacted;
    }
    return;
  }
  const std::string_view name = component.substr(0, equals);
  out += looks_like_a_name(name) ? name : kRedacted;
  out += '=';
  if (kept_parameter(name)) {
    out += component.substr(equals + 1);
  } else {
    out += kRedacted;
  }
}

void put_string(nlohmann::json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}
void put_port(nlohmann::json& j, const char* key, std::uint16_t value) {
  if (value != 0) j[key] = value;
}
template <class T>
void put_optional(nlohmann::json& j, const char* key, const std::optional<T>& value) {
  if (value) j[key] = *value;
}

}  // namespace

std::string_view audit_event_type_name(AuditEventType type) {
  for (const auto& entry : kTypeNames) {
    if (entry.type == type) return entry.name;
  }
  return "unknown";
}

std::optional<AuditEventType> parse_audit_event_type(std::string_view name) {
  for (const auto& entry : kTypeNames) {
    if (entry.name == name) return entry.type;
  }
  return std::nullopt;
}

std::string redact_query(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  const auto hash = path.find('#');
  const std::string_view fragment = hash == std::string_view::npos ? std::string_view{} : path.substr(hash);
  const std::string_view before_fragment = path.substr(0, hash);
  const auto question = before_fragment.find('?');
  out += before_fragment.substr(0, question);
  if (question != std::string_view::npos) {
    out += '?';
    std::string_view query = before_fragment.substr(question + 1);
    while (true) {
      const auto amp = query.find('&');
      redact_component(query.substr(0, amp), out);
      if (amp == std::string_view::npos) break;
      out += '&';
      query.remove_prefix(amp + 1);
    }
  }
  if (!fragment.empty()) {
    out += '#';
    if (fragment.size() > 1) out += kRedacted;
  }
  return out;
}

nlohmann::json to_json(const AuditEvent& event) {
  nlohmann::json j = nlohmann::json::object();
  j["@timestamp"] = format_utc_millis(event.time_ms);
  j["event.action"] = std::string(audit_event_type_name(event.type));
  j["event.dataset"] = "sshrelay.audit";
  j["sshrelay.schema"] = kAuditSchemaVersion;
  // Seconds since the epoch, for tools that want a number (Splunk's time, jq arithmetic).
  j["event.epoch"] = static_cast<double>(event.time_ms) / 1000.0;
  put_string(j, "event.id", event.event_id);
  put_string(j, "user.name", event.principal);
  put_string(j, "user.id", event.identity_subject);
  put_string(j, "user.email", event.identity_email);
  put_string(j, "sshrelay.identity_provider", event.identity_provider);
  put_string(j, "user_agent.original", event.user_agent);
  put_string(j, "source.ip", event.source_ip);
  put_port(j, "source.port", event.source_port);
  put_string(j, "sshrelay.target", event.target);
  put_string(j, "sshrelay.target_user", event.target_user);
  put_string(j, "destination.ip", event.resolved_ip);
  put_port(j, "destination.port", event.resolved_port);
  put_string(j, "source.nat.ip", event.relay_ip);
  put_port(j, "source.nat.port", event.relay_source_port);
  put_string(j, "sshrelay.sid", event.sid);
  put_string(j, "sshrelay.endpoint", event.endpoint);
  put_optional(j, "source.bytes", event.bytes_up);
  put_optional(j, "destination.bytes", event.bytes_down);
  put_optional(j, "sshrelay.duration_ms", event.duration_ms);
  put_optional(j, "sshrelay.close.code", event.close_code);
  put_string(j, "sshrelay.close.reason", event.close_reason);
  put_string(j, "event.reason", event.reason);
  put_string(j, "error.message", event.error);
  put_optional(j, "sshrelay.dial_ms", event.dial_ms);
  put_optional(j, "sshrelay.reconnect_count", event.reconnect_count);
  put_optional(j, "sshrelay.resume_ack", event.resume_ack);
  put_string(j, "sshrelay.client_banner", event.client_banner);
  put_string(j, "sshrelay.target_banner", event.target_banner);
  put_string(j, "sshrelay.cookie.ext", event.extension_id);
  put_string(j, "sshrelay.cookie.path", event.redirect_path);
  put_string(j, "sshrelay.rendezvous.id", event.rendezvous_id);
  put_string(j, "sshrelay.rendezvous.slot", event.rendezvous_slot);
  put_string(j, "sshrelay.rendezvous.peer", event.peer_principal);
  put_optional(j, "sshrelay.tunnel.requests", event.tunnel_requests);
  put_optional(j, "sshrelay.tunnel.connections", event.tunnel_connections);
  if (!event.path.empty()) {
    std::string path = redact_query(event.path);
    if (path.size() > kMaxAuditPathLength) {
      path.resize(kMaxAuditPathLength);
      path += "...";
    }
    j["url.original"] = std::move(path);
  }
  if (event.type == AuditEventType::audit_lost || !event.lost.empty()) {
    nlohmann::json total = nlohmann::json::object();
    nlohmann::json since_last = nlohmann::json::object();
    for (const auto& count : event.lost) {
      total[count.sink] = count.total;
      since_last[count.sink] = count.since_last;
    }
    j["sshrelay.lost.total"] = std::move(total);
    j["sshrelay.lost.since_last"] = std::move(since_last);
  }
  return j;
}

std::optional<AuditFormat> parse_audit_format(std::string_view name) {
  if (name == "sshrelay") return AuditFormat::sshrelay;
  if (name == "ssh-relay") return AuditFormat::ssh_relay;
  return std::nullopt;
}

std::string to_json_line(const AuditEvent& event, AuditFormat format) {
  if (format == AuditFormat::ssh_relay) {
    return to_ssh_relay_json(event).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return to_json(event).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sshrelay
