#include "core/config/ssh_relay_environment.hpp"

#include "core/common/text.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

namespace sshrelay::config {
namespace {

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Which audit sink a group of ssh-relay variables belongs to: they count only when RELAY_LOG_SINKS names
// it, as in the Python relay (RELAY_SPLUNK_URL alone sends nothing there either).
enum class Gate { none, file, splunk, pan };

struct Rename {
  std::string_view from;
  std::string_view to;
  Gate gate = Gate::none;
};

// One of ours per variable; same-named settings (RELAY_PUBLIC_HOST, RELAY_GRACE_SECONDS, ...) need no
// entry here and are listed in kSameName.
constexpr Rename kRenames[] = {
    {"RELAY_CF_TEAM_DOMAIN", "RELAY_IDENTITY_TEAM_DOMAIN"},
    {"RELAY_CF_AUDIENCE", "RELAY_IDENTITY_AUDIENCE"},
    {"RELAY_IAP_AUDIENCE", "RELAY_IDENTITY_AUDIENCE"},
    {"RELAY_TARGET_ALLOWLIST", "RELAY_ALLOW_TARGETS"},
    {"RELAY_TARGET_DENYLIST_EXTRA", "RELAY_DENY_TARGETS"},
    {"RELAY_MAX_SESSIONS_PER_IDENTITY", "RELAY_MAX_SESSIONS_PER_PRINCIPAL"},
    {"RELAY_STATIC_DIR", "RELAY_WEB_ROOT"},
    {"RELAY_LOG_FILE_PATH", "RELAY_AUDIT_JSONL", Gate::file},
    {"RELAY_LOG_FILE_MAX_BYTES", "RELAY_AUDIT_JSONL_MAX_BYTES", Gate::file},
    {"RELAY_LOG_FILE_BACKUP_COUNT", "RELAY_AUDIT_JSONL_KEEP", Gate::file},
    {"RELAY_SPLUNK_URL", "RELAY_AUDIT_HEC_URL", Gate::splunk},
    {"RELAY_SPLUNK_TOKEN", "RELAY_AUDIT_HEC_TOKEN", Gate::splunk},
    {"RELAY_SPLUNK_INDEX", "RELAY_AUDIT_HEC_INDEX", Gate::splunk},
    {"RELAY_SPLUNK_SOURCE", "RELAY_AUDIT_HEC_SOURCE", Gate::splunk},
    {"RELAY_SPLUNK_SOURCETYPE", "RELAY_AUDIT_HEC_SOURCETYPE", Gate::splunk},
    {"RELAY_SPLUNK_VERIFY", "RELAY_AUDIT_HEC_VERIFY", Gate::splunk},
    {"RELAY_PAN_FIREWALL_URLS", "RELAY_AUDIT_PAN_URL", Gate::pan},
    {"RELAY_PAN_API_KEY", "RELAY_AUDIT_PAN_KEY", Gate::pan},
    {"RELAY_PAN_VERIFY", "RELAY_AUDIT_PAN_VERIFY", Gate::pan},
    {"RELAY_PAN_LOGIN_TIMEOUT_SECONDS", "RELAY_AUDIT_PAN_LOGIN_TIMEOUT_SECONDS", Gate::pan},
    {"RELAY_RELAY_IP", "RELAY_AUDIT_PAN_RELAY_IP", Gate::pan},
};

constexpr std::string_view kSameName[] = {
    "RELAY_PUBLIC_HOST",       "RELAY_PUBLIC_PORT",     "RELAY_IDENTITY_PROVIDER", "RELAY_GRACE_SECONDS",
    "RELAY_MAX_REPLAY_BUFFER", "RELAY_MAX_SESSIONS_TOTAL", "RELAY_ALLOWED_ORIGINS", "RELAY_TRUSTED_PROXIES",
    "RELAY_UNSAFE_ALLOW_LOOPBACK",
};

std::string_view gate_name(Gate gate) {
  switch (gate) {
    case Gate::file: return "file";
    case Gate::splunk: return "splunk";
    case Gate::pan: return "pan";
    case Gate::none: break;
  }
  return "";
}

class Translation {
 public:
  explicit Translation(const std::map<std::string, std::string>& env) : in_(env), out_{env, {}} {}

  // The value of a variable as given, or nullopt when unset or empty (an empty variable counts as unset).
  std::optional<std::string> given(std::string_view name) const {
    const auto it = in_.find(std::string(name));
    if (it == in_.end() || trim_space(it->second).empty()) return std::nullopt;
    return std::string(trim_space(it->second));
  }

  // Sets one of ours unless the environment sets it itself, in which case ours wins and the log says so.
  void set(std::string_view ours, const std::string& value, std::string_view because) {
    if (given(ours) && !produced_.count(std::string(ours))) {
      notice(std::string(because) + " is overridden by " + std::string(ours) + ", which is also set");
      return;
    }
    out_.variables[std::string(ours)] = value;
    produced_.insert(std::string(ours));
  }

  // Rewrites a variable's value in place (a spelling of the same setting).
  void rewrite(std::string_view name, const std::string& value) { out_.variables[std::string(name)] = value; }
  void drop(std::string_view name) { out_.variables.erase(std::string(name)); }
  void notice(std::string line) { out_.notices.push_back(std::move(line)); }
  TranslatedEnvironment take() && { return std::move(out_); }

 private:
  const std::map<std::string, std::string>& in_;
  TranslatedEnvironment out_;
  std::set<std::string> produced_;
};

}  // namespace

const std::vector<SshRelayVariable>& ssh_relay_variables() {
  static const std::vector<SshRelayVariable> all = [] {
    std::vector<SshRelayVariable> v;
    for (const auto name : kSameName) v.push_back({name, name});
    for (const auto& r : kRenames) v.push_back({r.from, r.to});
    v.push_back({"RELAY_AUTH_REQUIRED", "RELAY_IDENTITY_UPSTREAM_ENFORCES_AUTH (false with provider none)"});
    v.push_back({"RELAY_LOG_SINKS", "RELAY_AUDIT_STDERR, RELAY_AUDIT_FORMAT=ssh-relay and which sinks count"});
    v.push_back({"RELAY_SOURCE_PORT_MIN", "RELAY_SOURCE_PORT_RANGE (MIN-MAX)"});
    v.push_back({"RELAY_SOURCE_PORT_MAX", "RELAY_SOURCE_PORT_RANGE (MIN-MAX)"});
    v.push_back({"RELAY_READ_CHUNK_BYTES", "checked; sshrelayd reads the target into 16 KiB DATA frames"});
    v.push_back({"RELAY_MAX_FRAME_BYTES", "checked; sshrelayd takes WebSocket messages of one DATA frame"});
    return v;
  }();
  return all;
}

bool is_ssh_relay_variable(std::string_view name) {
  const auto& all = ssh_relay_variables();
  return std::any_of(all.begin(), all.end(), [&](const SshRelayVariable& v) { return v.name == name; });
}

std::string_view ssh_relay_hint(std::string_view name) {
  if (name == "RELAY_HOST" || name == "RELAY_PORT" || name == "RELAY_TLS_PORT") {
    return "the Python relay's Makefile bind address; sshrelayd listens where RELAY_LISTEN=HOST:PORT says";
  }
  return {};
}

Result<TranslatedEnvironment> translate_ssh_relay_environment(const std::map<std::string, std::string>& env) {
  Translation t(env);

  // Its provider names: "disabled" is another word for none there.
  if (const auto provider = t.given("RELAY_IDENTITY_PROVIDER"); provider && ascii_lower(*provider) == "disabled") {
    t.rewrite("RELAY_IDENTITY_PROVIDER", "none");
  }
  const std::string provider = ascii_lower(t.given("RELAY_IDENTITY_PROVIDER").value_or("none"));
  const bool no_provider = provider == "none" || provider == "disabled";
  if (t.given("RELAY_CF_AUDIENCE") && t.given("RELAY_IAP_AUDIENCE")) {
    return local_error("RELAY_CF_AUDIENCE and RELAY_IAP_AUDIENCE are both set; set only the one for "
                       "RELAY_IDENTITY_PROVIDER=" + provider);
  }

  if (const auto required = t.given("RELAY_AUTH_REQUIRED")) {
    const auto value = parse_bool_word(*required);  // pydantic's words are ours
    if (!value) return local_error("RELAY_AUTH_REQUIRED: " + quoted(*required) + " is not a boolean (true or false)");
    if (no_provider && *value) {
      return local_error("RELAY_AUTH_REQUIRED=true contradicts RELAY_IDENTITY_PROVIDER=" + provider +
                         ": choose cloudflare-access, gcp-iap or oidc, or set RELAY_AUTH_REQUIRED=false to run "
                         "without authentication");
    }
    if (no_provider) {
      t.set("RELAY_IDENTITY_UPSTREAM_ENFORCES_AUTH", "true", "RELAY_AUTH_REQUIRED=false");
      t.notice("RELAY_AUTH_REQUIRED=false with RELAY_IDENTITY_PROVIDER=" + provider +
               ": the relay does not authenticate anyone (RELAY_IDENTITY_UPSTREAM_ENFORCES_AUTH=true)");
    } else if (!*value) {
      t.notice("RELAY_AUTH_REQUIRED=false: sshrelayd still requires a valid token with RELAY_IDENTITY_PROVIDER=" +
               provider + " (it has no anonymous fallback; use provider none for an unauthenticated relay)");
    }
    t.drop("RELAY_AUTH_REQUIRED");
  }

  // Sinks: which groups of variables count, whether stderr is on, and the event format.
  std::set<Gate> sinks_on;
  if (const auto it = env.find("RELAY_LOG_SINKS"); it != env.end()) {
    const auto names = split_list(it->second);
    if (names.empty()) {
      t.notice("RELAY_LOG_SINKS is empty: sshrelayd keeps its audit trail on stderr (RELAY_AUDIT_STDERR=false "
               "turns it off)");
    } else {
      bool to_stderr = false;
      for (const auto& name : names) {
        if (name == "stderr") to_stderr = true;
        else if (name == "file") sinks_on.insert(Gate::file);
        else if (name == "splunk") sinks_on.insert(Gate::splunk);
        else if (name == "pan") sinks_on.insert(Gate::pan);
        else return local_error("RELAY_LOG_SINKS: " + quoted(name) + " is not a sink (use stderr, file, splunk, pan)");
      }
      t.set("RELAY_AUDIT_STDERR", to_stderr ? "true" : "false", "RELAY_LOG_SINKS");
      // Searches and dashboards built on the Python relay's events keep working.
      t.set("RELAY_AUDIT_FORMAT", "ssh-relay", "RELAY_LOG_SINKS");
      t.notice("RELAY_LOG_SINKS=" + it->second + ": audit events use the Python relay's field names "
               "(RELAY_AUDIT_FORMAT=sshrelay for sshrelayd's own)");
    }
    t.drop("RELAY_LOG_SINKS");
  }
  const auto need = [&](Gate gate, std::string_view name) -> Status {
    if (t.given(name)) return Ok{};
    return local_error("RELAY_LOG_SINKS names " + std::string(gate_name(gate)) + " but " + std::string(name) + " is not set");
  };
  if (sinks_on.count(Gate::file)) {
    if (auto s = need(Gate::file, "RELAY_LOG_FILE_PATH"); !s) return s.error();
  }
  if (sinks_on.count(Gate::splunk)) {
    if (auto s = need(Gate::splunk, "RELAY_SPLUNK_URL"); !s) return s.error();
    if (auto s = need(Gate::splunk, "RELAY_SPLUNK_TOKEN"); !s) return s.error();
    // The Python relay's HEC source and sourcetype, which its searches filter on.
    if (!t.given("RELAY_SPLUNK_SOURCE")) t.set("RELAY_AUDIT_HEC_SOURCE", "ssh-relay", "RELAY_LOG_SINKS=splunk");
    if (!t.given("RELAY_SPLUNK_SOURCETYPE")) t.set("RELAY_AUDIT_HEC_SOURCETYPE", "_json", "RELAY_LOG_SINKS=splunk");
  }
  if (sinks_on.count(Gate::pan)) {
    if (auto s = need(Gate::pan, "RELAY_PAN_FIREWALL_URLS"); !s) return s.error();
    if (auto s = need(Gate::pan, "RELAY_PAN_API_KEY"); !s) return s.error();
  }

  for (const auto& r : kRenames) {
    const auto value = t.given(r.from);
    if (!value) {
      t.drop(r.from);
      continue;
    }
    if (r.gate != Gate::none && !sinks_on.count(r.gate)) {
      t.notice(std::string(r.from) + " is not used: RELAY_LOG_SINKS does not name " + std::string(gate_name(r.gate)) +
               " (as in the Python relay)");
    } else {
      t.set(r.to, *value, r.from);
    }
    t.drop(r.from);
  }

  const auto port_min = t.given("RELAY_SOURCE_PORT_MIN");
  const auto port_max = t.given("RELAY_SOURCE_PORT_MAX");
  if (port_min.has_value() != port_max.has_value()) {
    return local_error(std::string(port_min ? "RELAY_SOURCE_PORT_MIN" : "RELAY_SOURCE_PORT_MAX") +
                       " is set without " + (port_min ? "RELAY_SOURCE_PORT_MAX" : "RELAY_SOURCE_PORT_MIN") +
                       ": source ports are pinned from the range between both");
  }
  if (port_min) t.set("RELAY_SOURCE_PORT_RANGE", *port_min + "-" + *port_max, "RELAY_SOURCE_PORT_MIN/MAX");
  t.drop("RELAY_SOURCE_PORT_MIN");
  t.drop("RELAY_SOURCE_PORT_MAX");

  // Sizes of the Python relay's own framing: checked, then answered with ours, which the Secure Shell
  // extension's protocol fixes (a DATA frame carries at most 16 KiB).
  constexpr std::pair<std::string_view, std::string_view> kFixedLimits[] = {
      {"RELAY_READ_CHUNK_BYTES", "sshrelayd reads the target straight into DATA frames of up to 16 KiB"},
      {"RELAY_MAX_FRAME_BYTES", "sshrelayd refuses (1009) any WebSocket message larger than one DATA frame "
                                "(16 KiB + 6 bytes)"},
  };
  for (const auto& [name, ours] : kFixedLimits) {
    if (const auto value = t.given(name)) {
      if (!std::all_of(value->begin(), value->end(), [](char c) { return c >= '0' && c <= '9'; }))
        return local_error(std::string(name) + ": " + quoted(*value) + " is not a number of bytes");
      t.notice(std::string(name) + "=" + *value + " is not needed: " + std::string(ours));
    }
    t.drop(name);
  }
  return std::move(t).take();
}

}  // namespace sshrelay::config
