#pragma once
// sshrelayd configuration: command-line flags, an optional INI file (--config FILE) and RELAY_*
// environment variables, all read through one Boost.Program_options description.
// Precedence: flags > environment > config file > defaults. See docs/configuration.md.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include <vector>

#include "core/cluster/redis_url.hpp"
#include "core/policy/cidr.hpp"
#include "core/policy/target.hpp"
#include "core/policy/target_policy.hpp"
#include "core/rendezvous/rendezvous_registry.hpp"
#include "native/daemon/audit/audit_config.hpp"
#include "core/tunnel/tunnel_registry.hpp"
#include "native/daemon/identity/identity_config.hpp"

namespace sshrelay::daemon {

// One address to accept on. host is an IPv4 literal, an IPv6 literal without brackets ("::1") or a DNS
// name (resolved by the listener). port 0 asks the kernel for an ephemeral port (tests use it).
struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;

  friend bool operator==(const ListenAddress&, const ListenAddress&) = default;
};

// Several relays sharing a session directory (docs/cluster.md): off unless --cluster-redis.
struct ClusterConfig {
  std::optional<cluster::RedisUrl> redis;  // --cluster-redis
  std::string redis_ca_file;               // --cluster-redis-ca
  std::optional<ListenAddress> listen;     // --cluster-listen: the internal link
  std::string advertise;                   // --cluster-advertise HOST:PORT (empty until the bound port is known)
  std::string secret;                      // --cluster-secret-file's bytes
  std::string node_id;                     // --cluster-node-id; empty: <hostname>-<random>, drawn at start
  std::chrono::milliseconds heartbeat{1000};  // --cluster-heartbeat-ms
};

struct DaemonConfig {
  std::vector<ListenAddress> listen;          // --listen ADDR:PORT, repeatable; default 127.0.0.1:8080
  // --metrics-listen: /metrics on its own plain-HTTP address, or ("main") on the relay's listeners.
  std::optional<ListenAddress> metrics_listen;
  bool metrics_on_main_listener = false;
  std::string public_host;                    // --public-host; default: host of the first --listen
  std::uint16_t public_port = 0;              // --public-port; default: port of the first --listen
                                              // (0 if that is ephemeral: use the bound port)
  std::chrono::seconds grace{120};            // --grace-seconds: detached session waits this long
  std::size_t max_replay_buffer = 4 << 20;    // --max-replay-buffer: unacked bytes per session
  std::size_t max_replay_memory = 256 << 20;  // --max-replay-memory: budget across all sessions
  std::vector<std::string> allowed_origins;   // --allowed-origins: lowercase scheme://host[:port] or "*";
                                              // the relay's own origin is always allowed (not listed)
  std::vector<std::string> allowed_hosts;     // --allowed-hosts: names answered besides public and listen hosts
  bool require_origin = false;                // --require-origin: refuse WebSocket requests without Origin
  std::chrono::seconds request_timeout{30};   // --request-timeout-seconds: whole request (and TLS handshake)
  bool unsafe_allow_loopback = false;         // --unsafe-allow-loopback: loopback targets allowed
  std::size_t max_sessions_total = 10000;     // --max-sessions-total
  unsigned threads = 0;                       // --threads; 0 = std::thread::hardware_concurrency()
  std::chrono::seconds ping_interval{30};     // --ping-seconds: WebSocket ping when idle
  std::chrono::seconds connect_timeout{10};   // --connect-timeout-seconds: target dial timeout
  std::chrono::seconds shutdown_timeout{5};   // --shutdown-seconds: bounded wait on SIGTERM
  std::string tls_cert, tls_key;              // --tls-cert / --tls-key: PEM paths, both or neither
  std::string web_root;                       // --web-root: static files served at /
  std::string ready_file;                     // --ready-file: written once listening; empty = none
  std::string handover_socket;                // --handover-socket: offer state to a successor (docs/cluster.md)
  bool takeover = false;                      // --takeover: take state over from the process at --handover-socket
  std::vector<std::string> command_line;      // how this process was started (main): SIGUSR2's successor
  // Target policy (design.md §5): target_policy.allow_loopback mirrors unsafe_allow_loopback.
  TargetPolicyConfig target_policy;           // --allow-private, --allow-targets, --deny-targets, --allowed-ports
  std::string policy_file;                    // --policy-file: per-principal rules (JSON), loaded into target_policy.rules
  std::uint16_t source_port_first = 0;        // --source-port-range FIRST-LAST: pin each session's outbound port
  std::uint16_t source_port_last = 0;         //   (0-0: the kernel picks)
  std::size_t max_sessions_per_principal = 0; // --max-sessions-per-principal: 0 = no per-principal cap
  std::size_t max_connections_per_ip = 0;     // --max-connections-per-ip: concurrent sessions per source; 0 = no cap
  std::optional<Target> relay_target;         // --relay-target: /relay and /websockify always dial this
  unsigned connect_rate_per_minute = 0;       // --connect-rate-per-minute: per source IP; 0 = unlimited
  std::vector<Cidr> trusted_proxies;          // --trusted-proxies: X-Forwarded-For believed only from these
  rendezvous::RegistryLimits rendezvous;      // --rendezvous-*: TTLs, peer wait, caps (docs/rendezvous.md)
  // Tunnels (/tunnel, docs/tunnels.md): off unless --tunnels.
  bool tunnels = false;                       // --tunnels
  std::string tunnel_domain;                  // --tunnel-domain: <16 hex>.DOMAIN reaches a tunnel (canonical)
  tunnel::RegistryLimits tunnel_limits;       // --tunnel-ports MIN-MAX, --tunnel-max-*
  std::string tunnel_listen_host = "127.0.0.1";  // --tunnel-listen-address: where raw ports listen
  std::chrono::seconds tunnel_response_timeout{60};  // --tunnel-response-seconds: then 504
  std::string tunnel_subdomain_key;           // --tunnel-subdomain-key-file's bytes; empty: drawn at start
  std::vector<std::string> rendezvous_admins; // the policy file's "rendezvous_admins": who may use /admin/sessions
  ClusterConfig cluster;                      // --cluster-*: the session directory and internal link
  identity::IdentityConfig identity;          // --identity-*: who may connect (docs/identity.md)
  audit::AuditConfig audit;                   // --audit-*: where events go (docs/audit.md)
  std::string log_level = "info";             // --log-level: debug|info|warn|error
  bool dev = false;                           // --dev: developer defaults (see docs/configuration.md)
  // What was read but did not count (a RELAY_* variable that names no setting), one line each: logged
  // as warnings at startup. With --strict-config these refuse the start instead.
  std::vector<std::string> warnings;
  // How the Python relay's variables were read (config::translate_ssh_relay_environment): logged at start.
  std::vector<std::string> notices;
};

// --help or --version was given: print text to stdout and exit 0.
struct HelpRequested {
  std::string text;
};

// The configuration is unusable: print message to stderr and exit 2. The message names the setting
// (flag and environment variable, or config file and key) and the bad value.
struct ConfigError {
  std::string message;
};

using ConfigParse = std::variant<DaemonConfig, HelpRequested, ConfigError>;

// Never throws for bad input (only std::bad_alloc). relay_env holds RELAY_* variables by name;
// entries whose name is not a known setting are listed in DaemonConfig::warnings (or, with
// --strict-config, make a ConfigError).
ConfigParse parse_daemon_config(int argc, const char* const argv[],
                                const std::map<std::string, std::string>& relay_env);

// Every RELAY_* variable of the process environment.
std::map<std::string, std::string> relay_environment();

// One-line summary for the startup log. Holds no secrets (TLS key path is not printed).
std::string describe(const DaemonConfig& config);

}  // namespace sshrelay::daemon
