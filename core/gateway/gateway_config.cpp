#include "core/gateway/gateway_config.hpp"

#include <optional>
#include <span>

#include "core/common/base64.hpp"
#include "core/common/nearest_name.hpp"
#include "core/common/quote.hpp"
#include "core/common/text.hpp"
#include "core/gateway/user_name.hpp"
#include "core/gateway/yaml_subset.hpp"
#include "core/policy/target.hpp"

namespace sshrelay::gateway {
namespace {

// A value inside an error message: 'as written' when short and printable, else quote()'s escaped form.
std::string shown(std::string_view value) {
  if (value.size() > 80) return quote(value);
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || byte >= 0x80 || c == '\'') return quote(value);
  }
  return "'" + std::string(value) + "'";
}

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// --- value checks, shared by the setters and validate() ---------------------------------------------

std::optional<std::string> remote_host_problem(std::string_view host) {
  bool any_alnum = false;
  for (const char c : host) {
    if (!is_alnum(c) && c != '.' && c != '-') return shown(host) + " may contain only letters, digits, '.' and '-'";
    any_alnum = any_alnum || is_alnum(c);
  }
  if (!any_alnum) return shown(host) + " has no letter or digit";
  if (host.front() == '-') return shown(host) + " may not start with '-'";
  return std::nullopt;
}

std::string user_name_problem(std::string_view user) {
  return shown(user) + " is not a user name the gateway accepts (1-64 letters, digits, '.', '_', '-')";
}

std::optional<std::string> passwords_problem(const std::map<std::string, std::string>& passwords) {
  for (const auto& [user, password] : passwords) {
    if (!valid_gateway_user_name(user)) return user_name_problem(user);
    if (password.empty()) return user + " has an empty password";
  }
  return std::nullopt;
}

// --- setters: `value` as written; errors say what is wrong, the caller says where -------------------

Error wrong(std::string what) { return local_error(std::move(what)); }

Status set_port(std::uint16_t& field, std::string_view value) {
  auto port = parse_port(trim_space(value));
  if (!port) return wrong(shown(value) + " is not a port (1-65535)");
  field = *port;
  return Ok{};
}

Status set_bool(bool& field, std::string_view value) {
  auto parsed = parse_bool_word(value);
  if (!parsed) return wrong(shown(value) + " is not a boolean (1/true/yes/on or 0/false/no/off)");
  field = *parsed;
  return Ok{};
}

Status set_text(std::string& field, std::string_view value) {
  field = std::string(value);
  return Ok{};
}

Status set_required_text(std::string& field, std::string_view value) {
  if (trim_space(value).empty()) return wrong("may not be empty");
  field = std::string(value);
  return Ok{};
}

Status set_remote_host(GatewayConfig& c, std::string_view value) {
  value = trim_space(value);
  if (value.empty()) return wrong("may not be empty");
  if (auto problem = remote_host_problem(value)) return wrong(*problem);
  c.remote_host = std::string(value);
  return Ok{};
}

// "alice:s3cr3t, bob:p4ss": items split at ',', each at its first ':', both sides trimmed. No message
// repeats an item: it may hold a password.
Status set_passwords_list(GatewayConfig& c, std::string_view value) {
  std::map<std::string, std::string> passwords;
  std::size_t number = 0;
  for (const auto& item : split_list(value)) {
    ++number;
    const std::string where = "item " + std::to_string(number);
    const auto colon = item.find(':');
    if (colon == std::string::npos) return wrong(where + " has no ':' (write user:password,user:password)");
    const std::string user(trim_space(std::string_view(item).substr(0, colon)));
    const std::string password(trim_space(std::string_view(item).substr(colon + 1)));
    if (user.empty()) return wrong(where + " has no user name before ':'");
    if (!valid_gateway_user_name(user)) return wrong(where + ": " + user_name_problem(user));
    if (password.empty()) return wrong(where + " (" + user + ") has an empty password");
    if (!passwords.emplace(user, password).second) return wrong(where + ": " + user + " is listed twice");
  }
  c.passwords = std::move(passwords);
  return Ok{};
}

Status set_key_content(GatewayConfig& c, std::string_view value) {
  std::string compact;  // `base64` wraps its output at 76 columns
  for (const char ch : value) {
    if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') compact += ch;
  }
  auto bytes = base64_decode(compact);
  if (!bytes || bytes->empty()) {
    std::string what = "not valid base64";
    if (value.find("-----BEGIN") != std::string_view::npos) {
      what += " (this looks like the key itself: give the key file base64-encoded, e.g. base64 -w0 KEYFILE)";
    }
    return wrong(what);
  }
  std::string key(bytes->begin(), bytes->end());
  if (!trim_space(key).starts_with("-----BEGIN ") || key.find("PRIVATE KEY-----") == std::string::npos) {
    return wrong("decodes to something that is not a private key (expected '-----BEGIN ... PRIVATE KEY-----')");
  }
  c.gateway_ssh_key_content = std::move(key);
  return Ok{};
}

Status set_log_level(GatewayConfig& c, std::string_view value) {
  const auto word = ascii_upper(trim_space(value));
  for (const auto level : {LogLevel::debug, LogLevel::info, LogLevel::warning, LogLevel::error}) {
    if (word == to_string(level)) {
      c.log_level = level;
      return Ok{};
    }
  }
  return wrong(shown(value) + " is not a log level (DEBUG, INFO, WARNING or ERROR)");
}

Status set_wan(GatewayConfig& c, std::string_view value) {
  const auto word = ascii_lower(trim_space(value));
  if (word == "mosh") c.wan = WanLeg::mosh;
  else if (word == "relay") c.wan = WanLeg::relay;
  else return wrong(shown(value) + " is not a WAN leg (mosh or relay)");
  return Ok{};
}

Status set_cache_seconds(GatewayConfig& c, std::string_view value) {
  std::uint32_t seconds = 0;
  if (!parse_decimal(trim_space(value), seconds) || seconds > kMaxAuthorizedKeysCacheSeconds) {
    return wrong(shown(value) + " is not a number of seconds (0-" + std::to_string(kMaxAuthorizedKeysCacheSeconds) + ")");
  }
  c.authorized_keys_cache_seconds = seconds;
  return Ok{};
}

// --- the table ---------------------------------------------------------------------------------------

struct Setting {
  GatewaySetting names;
  Status (*set)(GatewayConfig&, std::string_view);
  void (*reset)(GatewayConfig&);  // back to the built-in default (a YAML key without a value)
};

template <auto Field>
void reset(GatewayConfig& c) {
  c.*Field = GatewayConfig{}.*Field;
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = {
      {{"GATEWAY_HOST", "host", "--host", "", false, "address the SSH server listens on (default 0.0.0.0)"},
       [](GatewayConfig& c, std::string_view v) { return set_required_text(c.host, v); }, reset<&GatewayConfig::host>},
      {{"GATEWAY_PORT", "port", "--port", "-p", false, "port the SSH server listens on (default 2222)"},
       [](GatewayConfig& c, std::string_view v) { return set_port(c.port, v); }, reset<&GatewayConfig::port>},
      {{"GATEWAY_HOST_KEY_PATH", "host_key_path", "", "", false,
        "the gateway's host key, generated (ed25519) when missing (default /etc/gateway/host_key)"},
       [](GatewayConfig& c, std::string_view v) { return set_required_text(c.host_key_path, v); },
       reset<&GatewayConfig::host_key_path>},
      {{"GATEWAY_AUTHORIZED_KEYS_PATH", "authorized_keys_path", "--authorized-keys", "", false,
        "a local authorized_keys file for client keys (default: the remote user's ~/.ssh/authorized_keys)"},
       [](GatewayConfig& c, std::string_view v) { return set_text(c.authorized_keys_path, v); },
       reset<&GatewayConfig::authorized_keys_path>},
      {{"GATEWAY_AUTHORIZED_KEYS_CONTENT", "authorized_keys_content", "", "", false,
        "authorized_keys text for client keys; wins over the path"},
       [](GatewayConfig& c, std::string_view v) { return set_text(c.authorized_keys_content, v); },
       reset<&GatewayConfig::authorized_keys_content>},
      {{"GATEWAY_ACCEPT_ANY_KEY", "accept_any_key", "--accept-any-key", "", true,
        "accept any client key (insecure, labs only; default off)"},
       [](GatewayConfig& c, std::string_view v) { return set_bool(c.accept_any_key, v); },
       reset<&GatewayConfig::accept_any_key>},
      {{"GATEWAY_PASSWORD_AUTH", "password_auth", "", "", false, "allow password authentication (default off)"},
       [](GatewayConfig& c, std::string_view v) { return set_bool(c.password_auth, v); },
       reset<&GatewayConfig::password_auth>},
      {{"GATEWAY_PASSWORDS", "passwords", "", "", false,
        "the passwords: user:password,user:password (YAML: a mapping of user: password)"},
       set_passwords_list, reset<&GatewayConfig::passwords>},
      {{"REMOTE_HOST", "remote_host", "--remote-host", "", false,
        "the remote host (required; letters, digits, '.' and '-')"},
       set_remote_host, reset<&GatewayConfig::remote_host>},
      {{"REMOTE_PORT", "remote_port", "--remote-port", "", false, "the remote host's SSH port (default 22)"},
       [](GatewayConfig& c, std::string_view v) { return set_port(c.remote_port, v); }, reset<&GatewayConfig::remote_port>},
      {{"GATEWAY_SSH_KEY_PATH", "gateway_ssh_key_path", "", "", false,
        "the gateway's private key for logging in to the remote host"},
       [](GatewayConfig& c, std::string_view v) { return set_text(c.gateway_ssh_key_path, v); },
       reset<&GatewayConfig::gateway_ssh_key_path>},
      {{"GATEWAY_SSH_KEY_CONTENT", "gateway_ssh_key_content", "", "", false,
        "the same key file, base64-encoded; used only without the path"},
       set_key_content, reset<&GatewayConfig::gateway_ssh_key_content>},
      {{"REMOTE_KNOWN_HOSTS", "remote_known_hosts", "--remote-known-hosts", "", false,
        "known_hosts file for the remote's host key (default: the system's)"},
       [](GatewayConfig& c, std::string_view v) { return set_text(c.remote_known_hosts, v); },
       reset<&GatewayConfig::remote_known_hosts>},
      {{"REMOTE_IGNORE_HOST_KEY", "remote_ignore_host_key", "--ignore-remote-host-key", "", true,
        "do not verify the remote's host key (insecure; default off)"},
       [](GatewayConfig& c, std::string_view v) { return set_bool(c.remote_ignore_host_key, v); },
       reset<&GatewayConfig::remote_ignore_host_key>},
      {{"GATEWAY_LOG_LEVEL", "log_level", "--log-level", "", false, "DEBUG, INFO, WARNING or ERROR (default INFO)"},
       set_log_level, reset<&GatewayConfig::log_level>},
      {{"GATEWAY_WAN", "wan", "--wan", "", false, "the WAN leg to the remote: mosh or relay (default mosh)"},
       set_wan, reset<&GatewayConfig::wan>},
      {{"GATEWAY_RELAY_URL", "relay_url", "--relay", "", false,
        "the sshrelayd to reach the remote through (ws://… or wss://…; required with the relay leg)"},
       [](GatewayConfig& c, std::string_view v) { return set_text(c.relay_url, v); }, reset<&GatewayConfig::relay_url>},
      {{"GATEWAY_AUDIT_JSONL", "audit_jsonl", "--audit-jsonl", "", false, "a file for audit events, one JSON line each"},
       [](GatewayConfig& c, std::string_view v) { return set_text(c.audit_jsonl, v); }, reset<&GatewayConfig::audit_jsonl>},
      {{"GATEWAY_MOSH_SERVER_COMMAND", "mosh_server_command", "--mosh-server-command", "", false,
        "the remote command that starts mosh-server (default: mosh-server new -s -c 256 -l LANG=en_US.UTF-8); "
        "e.g. to pin its UDP port with -p or set another locale"},
       [](GatewayConfig& c, std::string_view v) { return set_text(c.mosh_server_command, v); }, reset<&GatewayConfig::mosh_server_command>},
      {{"GATEWAY_AUTHORIZED_KEYS_CACHE_SECONDS", "authorized_keys_cache_seconds", "", "", false,
        "how long a fetched remote authorized_keys is used (seconds, 0-86400; default 60)"},
       set_cache_seconds, reset<&GatewayConfig::authorized_keys_cache_seconds>},
  };
  return table;
}

const Setting& setting_named(std::string_view yaml) {
  for (const auto& s : settings()) {
    if (s.names.yaml == yaml) return s;
  }
  return settings().front();  // not reached: every caller passes a key of the table
}

// "REMOTE_HOST (remote_host, --remote-host)".
std::string all_names(std::string_view yaml) {
  const auto& n = setting_named(yaml).names;
  std::string out = std::string(n.env) + " (" + std::string(n.yaml);
  if (!n.flag.empty()) out += ", " + std::string(n.flag);
  return out + ")";
}

Error named(std::string_view name, const Error& error) { return local_error(std::string(name) + ": " + error.message); }

std::string_view without_dashes(std::string_view flag) {
  while (flag.starts_with('-')) flag.remove_prefix(1);
  return flag;
}

}  // namespace

std::string_view to_string(WanLeg wan) { return wan == WanLeg::relay ? "relay" : "mosh"; }

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "DEBUG";
    case LogLevel::info: return "INFO";
    case LogLevel::warning: return "WARNING";
    case LogLevel::error: return "ERROR";
  }
  return "INFO";
}

const std::vector<GatewaySetting>& gateway_settings() {
  static const std::vector<GatewaySetting> names = [] {
    std::vector<GatewaySetting> out;
    for (const auto& s : settings()) out.push_back(s.names);
    return out;
  }();
  return names;
}

std::string precedence_text() {
  return "Each setting comes from the first of these that sets it: a command-line flag, the YAML file given "
         "with --config FILE, an environment variable (an empty one counts as not set), the built-in default. "
         "Unlike ssh-mosh-wan-optimizer, which reads a --config file instead of the environment, the "
         "environment still applies to every setting the file does not mention.";
}

Status apply_environment(GatewayConfig& config, const std::map<std::string, std::string>& env) {
  for (const auto& s : settings()) {
    const auto it = env.find(std::string(s.names.env));
    if (it == env.end() || it->second.empty()) continue;
    if (auto done = s.set(config, it->second); !done) return named(s.names.env, done.error());
  }
  return Ok{};
}

Status apply_yaml(GatewayConfig& config, std::string_view text, std::string_view file_name) {
  auto entries = parse_yaml_subset(text, file_name);
  if (!entries) return entries.error();
  std::vector<std::string> known;
  for (const auto& s : settings()) known.emplace_back(s.names.yaml);

  for (const auto& entry : *entries) {
    const std::string where = std::string(file_name) + ":" + std::to_string(entry.line) + ": ";
    if (entry.key.starts_with('_')) continue;
    const Setting* setting = nullptr;
    for (const auto& s : settings()) {
      if (s.names.yaml == entry.key) setting = &s;
    }
    if (setting == nullptr) {
      std::string what = where + "unknown key " + shown(entry.key);
      if (auto near = nearest_name(entry.key, known)) what += " (did you mean '" + *near + "'?)";
      return local_error(what);
    }
    if (entry.kind == YamlEntry::Kind::null) {
      setting->reset(config);
      continue;
    }
    if (entry.key == "passwords") {
      if (entry.kind != YamlEntry::Kind::mapping) {
        return local_error(where + "passwords: write a mapping: 'passwords:' and then indented 'user: password' lines");
      }
      std::map<std::string, std::string> passwords;
      for (const auto& child : entry.entries) {
        const std::string child_where = std::string(file_name) + ":" + std::to_string(child.line) + ": passwords: ";
        if (!valid_gateway_user_name(child.key)) return local_error(child_where + user_name_problem(child.key));
        if (child.kind != YamlEntry::Kind::scalar || child.text.empty()) {
          return local_error(child_where + child.key + " has no password");
        }
        passwords[child.key] = child.text;
      }
      config.passwords = std::move(passwords);
      continue;
    }
    if (entry.kind == YamlEntry::Kind::mapping) {
      return local_error(where + entry.key + " takes one value, not a mapping of indented lines");
    }
    if (auto done = setting->set(config, entry.text); !done) return named(where + entry.key, done.error());
  }
  return Ok{};
}

Status apply_flag(GatewayConfig& config, std::string_view name, std::string_view value) {
  const auto bare = without_dashes(name);
  std::vector<std::string> known;
  for (const auto& s : settings()) {
    if (s.names.flag.empty()) continue;
    known.emplace_back(s.names.flag);
    if (bare != without_dashes(s.names.flag) && (s.names.short_flag.empty() || bare != without_dashes(s.names.short_flag))) {
      continue;
    }
    if (s.names.is_switch && value.empty()) value = "true";
    if (auto done = s.set(config, value); !done) return named(s.names.flag, done.error());
    return Ok{};
  }
  const std::string written = name.starts_with('-') ? std::string(name) : "--" + std::string(name);
  std::string what = "unknown flag " + shown(written);
  if (auto near = nearest_name(written, known)) what += " (did you mean '" + *near + "'?)";
  return local_error(what);
}

Status validate(const GatewayConfig& config) {
  if (config.remote_host.empty()) return local_error(all_names("remote_host") + " is required");
  if (auto problem = remote_host_problem(config.remote_host)) {
    return local_error(all_names("remote_host") + ": " + *problem);
  }
  if (trim_space(config.host).empty()) return local_error(all_names("host") + " may not be empty");
  if (config.port == 0) return local_error(all_names("port") + ": 0 is not a port (1-65535)");
  if (trim_space(config.host_key_path).empty()) return local_error(all_names("host_key_path") + " may not be empty");
  if (auto problem = passwords_problem(config.passwords)) return local_error(all_names("passwords") + ": " + *problem);
  if (config.remote_port == 0) return local_error(all_names("remote_port") + ": 0 is not a port (1-65535)");
  if (config.wan == WanLeg::relay && trim_space(config.relay_url).empty()) {
    return local_error(all_names("relay_url") + " is required with the relay WAN leg (" + all_names("wan") + " = relay)");
  }
  if (config.authorized_keys_cache_seconds > kMaxAuthorizedKeysCacheSeconds) {
    return local_error(all_names("authorized_keys_cache_seconds") + ": " +
                       std::to_string(config.authorized_keys_cache_seconds) + " is more than " +
                       std::to_string(kMaxAuthorizedKeysCacheSeconds));
  }
  return Ok{};
}

}  // namespace sshrelay::gateway
