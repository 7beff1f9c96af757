#pragma once
// The gateway's settings: ssh-mosh-wan-optimizer's (peers.md §4.7), under its names, plus ours (the WAN
// leg, the relay, the audit file, the authorized_keys cache). Each setting has up to three names: an
// environment variable, a YAML key and a command-line flag; gateway_settings() lists them.
//
// Precedence, lowest first: built-in defaults < environment < YAML file (--config FILE) < flags. The
// caller applies them in that order (apply_environment, apply_yaml, apply_flag for each flag given), then
// calls validate(). This differs from the peer on purpose: there a --config file is read INSTEAD of the
// environment, so a variable set beside a file is silently ignored; here the environment still counts for
// every setting the file does not mention. precedence_text() says so for the docs and --help.
//
// Where we are stricter than the peer:
//  - booleans are 1/true/yes/on or 0/false/no/off (any case); anything else is an error naming the setting
//    (the peer reads anything but 1/true/yes as false, so GATEWAY_ACCEPT_ANY_KEY=ture is silently off);
//  - an empty environment variable counts as not set (the peer fails on GATEWAY_PORT= and reads
//    REMOTE_HOST= as missing);
//  - a GATEWAY_PASSWORDS item without ':', with an empty password or with a user name the gateway would
//    refuse at login is an error (the peer skips items without ':' and accepts empty passwords);
//  - remote_host may not start with '-' (it becomes an argument of mosh-client and ssh);
//  - unknown YAML keys and flags are errors, with the closest known name as a hint;
//  - gateway_ssh_key_content must be base64 of a PEM or OpenSSH private key.
//
// Sans-I/O: the environment arrives as a map and the file as text. Paths are kept as written; opening
// them (host key, authorized_keys, known_hosts, the gateway's key, the audit file) is the caller's job.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/result.hpp"
#include "core/common/time.hpp"

namespace sshrelay::gateway {

// How the gateway reaches the remote host: MOSH over UDP (interactive shells only), or the remote's sshd
// through an sshrelayd (/v4/connect, lossless resume; shells, exec, subsystems and port forwards).
enum class WanLeg { mosh, relay };
enum class LogLevel { debug, info, warning, error };

std::string_view to_string(WanLeg wan);       // "mosh", "relay"
std::string_view to_string(LogLevel level);   // "DEBUG", "INFO", "WARNING", "ERROR"

inline constexpr std::uint32_t kMaxAuthorizedKeysCacheSeconds = 86400;

struct GatewayConfig {
  // The SSH server the clients reach.
  std::string host = "0.0.0.0";
  std::uint16_t port = 2222;
  std::string host_key_path = "/etc/gateway/host_key";  // generated (ed25519, 0600) when missing

  // Client authentication. An empty string means "not set" throughout, as in the peer.
  std::string authorized_keys_path;
  std::string authorized_keys_content;  // wins over authorized_keys_path
  bool accept_any_key = false;          // insecure: any public key is accepted
  bool password_auth = false;
  std::map<std::string, std::string> passwords;  // user -> password, used only with password_auth

  // The one remote host.
  std::string remote_host;  // required
  std::uint16_t remote_port = 22;
  std::string gateway_ssh_key_path;     // the gateway's own key for logging in to the remote
  std::string gateway_ssh_key_content;  // the key text itself (decoded from base64); used only without a path
  std::string remote_known_hosts;       // empty: the system's default known_hosts
  bool remote_ignore_host_key = false;  // insecure: no verification of the remote's host key

  LogLevel log_level = LogLevel::info;

  // Ours.
  WanLeg wan = WanLeg::mosh;
  std::string relay_url;    // ws://… or wss://… of an sshrelayd; required with wan = relay
  std::string audit_jsonl;  // a file for audit events as JSON lines; empty: none
  std::string mosh_server_command;  // empty: mosh_server_command() (mosh_connect.hpp), the peer's
  std::uint32_t authorized_keys_cache_seconds = 60;  // remote authorized_keys fetches kept this long; 0: not kept

  Duration authorized_keys_cache_ttl() const { return std::chrono::seconds(authorized_keys_cache_seconds); }
};

// The names of one setting, for errors, docs and --help. Empty where the setting has no such name.
struct GatewaySetting {
  std::string_view env;        // "REMOTE_HOST"
  std::string_view yaml;       // "remote_host"
  std::string_view flag;       // "--remote-host"
  std::string_view short_flag; // "-p" (only --port has one)
  bool is_switch = false;      // a flag that takes no value (--accept-any-key)
  std::string_view meaning;    // one line for --help and the docs, with the default
};
const std::vector<GatewaySetting>& gateway_settings();

// One paragraph for the docs and --help: which source wins, and how that differs from the peer.
std::string precedence_text();

// Applies every setting whose variable is in `env` and not empty; other variables are ignored. Errors
// name the variable: "GATEWAY_PORT: 'abc' is not a port (1-65535)".
Status apply_environment(GatewayConfig& config, const std::map<std::string, std::string>& env);

// Applies the settings a YAML file names (see yaml_subset.hpp for the YAML that is read). A key with no
// value (`remote_known_hosts:`, `~`, `null`) puts the setting back to its built-in default. Keys starting
// with '_' are skipped, as the peer skips them. `passwords` is a mapping of user: password and replaces
// the whole list. Errors read "<file>:<line>: <key>: <what>"; an unknown key suggests the closest known one.
Status apply_yaml(GatewayConfig& config, std::string_view text, std::string_view file_name);

// Applies one command-line flag. `name` may be written with or without its dashes ("--remote-host",
// "remote-host", "-p", "p"). A switch (--accept-any-key, --ignore-remote-host-key) given with an empty
// value is on; otherwise its value is a boolean word. --config is not a setting: the caller reads the file
// and passes its text to apply_yaml. Errors read "--port: 'abc' is not a port (1-65535)"; an unknown flag
// suggests the closest known one.
Status apply_flag(GatewayConfig& config, std::string_view name, std::string_view value);

// The first thing wrong with the configuration as a whole, naming the setting by all its names:
// "REMOTE_HOST (remote_host, --remote-host) is required".
Status validate(const GatewayConfig& config);

}  // namespace sshrelay::gateway
