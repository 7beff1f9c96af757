#include "native/daemon/config.hpp"

#include "core/common/text.hpp"

#include "core/audit/audit_event.hpp"
#include "core/common/nearest_name.hpp"
#include "core/config/ssh_relay_environment.hpp"
#include "core/policy/origin_policy.hpp"
#include "core/rendezvous/rendezvous_api.hpp"
#include "core/tunnel/tunnel_host.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

#include <boost/program_options.hpp>
#include <boost/url/authority_view.hpp>
#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <boost/version.hpp>
#include <openssl/crypto.h>

#include <unistd.h>  // environ

#ifndef SSHRELAY_VERSION
#define SSHRELAY_VERSION "0.1.0"  // keep in step with project(VERSION) in the top CMakeLists.txt
#endif

namespace sshrelay::daemon {
namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace std::string_view_literals;

constexpr std::string_view kEnvPrefix = "RELAY_";
constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = kKiB * 1024;
constexpr std::uint64_t kGiB = kMiB * 1024;
constexpr std::size_t kMinReplayBuffer = 64 * 1024;

const std::vector<std::string> kDefaultListen = {"127.0.0.1:8080"};
const std::vector<std::string> kDefaultOrigins = {std::string(kSecureShellOrigin),
                                                  std::string(kSecureShellDevOrigin)};

// ---------------------------------------------------------------------------------------------------
// Small text helpers

std::string lower(std::string_view s) { return ascii_lower(s); }
std::string_view trim(std::string_view s) { return trim_space(s); }

std::string in_quotes(std::string_view s) {
  std::string out = "\"";
  out.append(s);
  out += '"';
  return out;
}

// "grace-seconds" -> "RELAY_GRACE_SECONDS"
std::string env_name(std::string_view option) {
  std::string out(kEnvPrefix);
  for (char c : option) out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// "RELAY_GRACE_SECONDS" -> "grace-seconds"; "" for variables without the prefix.
std::string option_name_of(std::string_view var) {
  if (!var.starts_with(kEnvPrefix)) return {};
  std::string out;
  for (char c : var.substr(kEnvPrefix.size()))
    out += c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// How errors name a setting: "--grace-seconds (RELAY_GRACE_SECONDS)".
std::string label(std::string_view option) { return "--" + std::string(option) + " (" + env_name(option) + ")"; }

std::string format_bytes(std::uint64_t n) {
  if (n != 0 && n % kGiB == 0) return std::to_string(n / kGiB) + "GiB";
  if (n != 0 && n % kMiB == 0) return std::to_string(n / kMiB) + "MiB";
  if (n != 0 && n % kKiB == 0) return std::to_string(n / kKiB) + "KiB";
  return std::to_string(n);
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.append(sep);
    out += item;
  }
  return out;
}

// Digits only (no sign, no spaces inside); nullopt if not a number or it overflows u64.
std::optional<std::uint64_t> parse_u64(std::string_view s) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

bool is_dns_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t start = 0;
  std::string_view last_label;
  while (true) {
    const auto dot = s.find('.', start);
    const auto lab = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (lab.empty() || lab.size() > 63 || lab.front() == '-' || lab.back() == '-') return false;
    for (char c : lab)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    last_label = lab;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  // "10.0.0" is a mistyped IPv4 address, not a name: top-level labels are never all digits.
  return !std::all_of(last_label.begin(), last_label.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// ---------------------------------------------------------------------------------------------------
// The one description of every setting: names, value syntax, defaults, help text.

// Help layout: 100 columns, of which at least 56 for the text so every [RELAY_*] name fits on a line.
constexpr unsigned kHelpWidth = 100;
constexpr unsigned kHelpTextWidth = 56;

po::options_description group(const std::string& caption) {
  return po::options_description(caption, kHelpWidth, kHelpTextWidth);
}

struct Options {
  po::options_description general = group("General");
  po::options_description settings = group("");  // all that a config file or RELAY_* variable may set
  po::options_description all = group("");       // general + settings: what the command line accepts

  Options();
};

// Every setting's help line ends with the environment variable that also sets it.
void add(po::options_description& group, const char* name, const po::value_semantic* semantic,
         const std::string& help) {
  const std::string text = help + " [" + env_name(name) + "]";
  group.add_options()(name, semantic, text.c_str());
}

po::typed_value<std::string>* text(const char* value_name) {
  return po::value<std::string>()->value_name(value_name);
}

po::typed_value<std::string>* text(const char* value_name, const std::string& fallback) {
  return text(value_name)->default_value(fallback);
}

po::typed_value<std::string>* number(const char* value_name, std::uint64_t fallback) {
  return text(value_name, std::to_string(fallback));
}

// --flag alone means true; --flag=no and `flag = no` (file) and RELAY_FLAG=no also work.
po::typed_value<std::string>* boolean() {
  return text("BOOL", "false")->implicit_value("true");
}

po::typed_value<std::vector<std::string>>* list(const char* value_name, const std::vector<std::string>& fallback) {
  return po::value<std::vector<std::string>>()->value_name(value_name)->default_value(fallback, join(fallback, ","));
}

Options::Options() {
  const DaemonConfig d;  // scalar defaults come from the struct's initializers
  general.add_options()                                                        //
      ("help,h", "print this help and exit")                                   //
      ("version", "print the version and exit");                               //
  add(general, "config", text("FILE"),
      "read settings from an INI file: one `name = value` per line, names as the long options "
      "below (without --); '#' starts a comment");

  po::options_description listening = group("Listening");
  add(listening, "listen", list("ADDR:PORT", kDefaultListen),
      "address to accept on; repeat or comma-separate for several; IPv6 as [::1]:8080; port 0 = "
      "ephemeral");
  add(listening, "public-host", text("HOST"),
      "host name the browser uses to reach the relay (sent in /cookie redirects); default: host of the "
      "first --listen");
  add(listening, "public-port", text("PORT"),
      "port the browser uses to reach the relay; default: port of the first --listen");
  add(listening, "tls-cert", text("FILE"), "PEM certificate chain; serve HTTPS/WSS (needs --tls-key)");
  add(listening, "tls-key", text("FILE"), "PEM private key for --tls-cert");
  add(listening, "web-root", text("DIR", SSHRELAY_DEFAULT_WEB_ROOT), "directory of static files served at /");
  add(listening, "ready-file", text("FILE"), "write this file once listening (used by tests and supervisors)");
  add(listening, "handover-socket", text("PATH", ""),
      "offer this process's listening sockets and sessions on this Unix socket to a successor started with "
      "--takeover (a restart that loses no session; docs/cluster.md); empty: none");
  add(listening, "takeover", boolean(),
      "take the listening sockets and sessions over from the sshrelayd offering them at --handover-socket, "
      "which then exits");
  add(listening, "metrics-listen", text("ADDR:PORT|main"),
      "serve Prometheus metrics at /metrics on their own plain-HTTP address (keep it private: bind loopback "
      "or an internal interface), or 'main' for the relay's own listener; default: off");

  po::options_description sessions = group("Sessions");
  add(sessions, "grace-seconds", number("N", static_cast<std::uint64_t>(d.grace.count())),
      "how long a detached session waits for a reconnect (0..86400)");
  add(sessions, "max-replay-buffer", text("BYTES", format_bytes(d.max_replay_buffer)),
      "unacknowledged bytes kept per session for resume; reading the target pauses when full; "
      "suffixes K/M/G or KiB/MiB/GiB; at least 64KiB");
  add(sessions, "max-replay-memory", text("BYTES", format_bytes(d.max_replay_memory)),
      "replay memory budget across all sessions; at least --max-replay-buffer");
  add(sessions, "max-sessions-total", number("N", d.max_sessions_total), "most sessions at once, attached or not");
  add(sessions, "ping-seconds", number("N", static_cast<std::uint64_t>(d.ping_interval.count())),
      "send a WebSocket ping after this long idle; proxies cut idle sockets after 60-100 s (1..3600)");
  add(sessions, "connect-timeout-seconds", number("N", static_cast<std::uint64_t>(d.connect_timeout.count())),
      "give up dialling a target after this long (1..300)");
  add(sessions, "shutdown-seconds", number("N", static_cast<std::uint64_t>(d.shutdown_timeout.count())),
      "on SIGTERM, wait this long for sessions to close before stopping hard (0..600)");
  add(sessions, "threads", number("N", d.threads), "I/O threads; 0 = one per CPU (0..256)");
  add(sessions, "request-timeout-seconds", number("N", static_cast<std::uint64_t>(d.request_timeout.count())),
      "a client must send its whole HTTP request (and finish TLS) within this long (1..300)");

  po::options_description access = group("Access");
  add(access, "allowed-origins", list("ORIGINS", kDefaultOrigins),
      "WebSocket Origins allowed besides the relay's own: scheme://host[:port] or '*' for any; repeat or "
      "comma-separate; default: the Secure Shell extension (stable and dev)");
  add(access, "allowed-hosts", list("NAMES", {}),
      "DNS names the relay answers to besides --public-host and the --listen hosts (DNS rebinding defence: "
      "a request whose Host names anything else gets 421); IP addresses and localhost are always answered");
  add(access, "require-origin", boolean(),
      "refuse WebSocket requests without an Origin header (browsers always send one; the sshrelay CLI does too)");
  add(access, "unsafe-allow-loopback", boolean(), "allow targets on loopback addresses (127.0.0.0/8, ::1)");

  po::options_description policy = group("Target policy");
  add(policy, "allow-private", text("BOOL", "true")->implicit_value("true"),
      "allow targets in private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7)");
  add(policy, "allow-targets", list("CIDRS", {}),
      "only these blocks may be dialed (an explicit block also admits private addresses; loopback still needs "
      "--unsafe-allow-loopback and link-local is never dialed); "
      "default: any public address, private ones per --allow-private");
  add(policy, "deny-targets", list("CIDRS", {}), "blocks never dialed, whatever else allows them");
  add(policy, "allowed-ports", text("PORTS", ""), "target ports allowed, e.g. 22,2200-2299; default: any");
  add(policy, "policy-file", text("FILE"),
      "per-principal rules (JSON): {\"rules\":[{\"principals\":[\"*@example.com\",\"group:sre\"],"
      "\"allow\":[\"10.0.0.0/8\"],\"ports\":\"22\"}]}");
  add(policy, "source-port-range", text("FIRST-LAST", ""),
      "bind each session's outbound socket to its own port from this range (firewall user mapping); "
      "4503 when exhausted");
  add(policy, "max-sessions-per-principal", number("N", 0), "most sessions one principal may hold; 0 = no cap");
  add(policy, "max-connections-per-ip", number("N", 0),
      "most sessions open at once from one source address (wsproxy's MAX_CONNS_PER_IP); 0 = no cap");
  add(policy, "relay-target", text("HOST:PORT"),
      "/relay and /websockify always dial this target and ignore host=/port= (websockify's fixed-target mode); "
      "the operator's choice, so the target policy does not apply to it");
  add(policy, "connect-rate-per-minute", number("N", 0), "connection attempts allowed per source IP per minute; 0 = unlimited");
  add(policy, "trusted-proxies", list("CIDRS", {}),
      "proxies whose CF-Connecting-IP, X-Real-IP or X-Forwarded-For is believed (for the source IP)");

  po::options_description meeting = group("Rendezvous (docs/rendezvous.md)");
  add(meeting, "rendezvous-ttl", text("DURATION", "1h"), "a rendezvous session's lifetime unless its creator asks for another (Go syntax: 90m, 1h30m)");
  add(meeting, "rendezvous-max-ttl", text("DURATION", "24h"), "the longest lifetime a creator may ask for");
  add(meeting, "rendezvous-peer-wait", text("DURATION", "2m"), "how long the first leg waits for the other before it is closed (1001)");
  add(meeting, "max-rendezvous-sessions", number("N", 1000), "most rendezvous sessions at once");
  add(meeting, "max-rendezvous-per-principal", number("N", 100), "most rendezvous sessions one principal may hold; 0 = no cap");

  po::options_description tunnels = group("Tunnels: wsproxy's port sharing (docs/tunnels.md)");
  add(tunnels, "tunnels", boolean(), "serve /tunnel: a client shares a port through the relay, reached at a subdomain and a raw TCP port");
  add(tunnels, "tunnel-domain", text("DOMAIN", ""),
      "requests for <16 hex>.DOMAIN go to that tunnel (wsproxy's TUNNEL_DOMAIN; needs a wildcard DNS name "
      "and certificate); empty: no subdomains, raw ports only");
  add(tunnels, "tunnel-ports", text("MIN-MAX", ""),
      "raw TCP ports handed to tunnels, the lowest free first (wsproxy: 10000-10099); empty: none");
  add(tunnels, "tunnel-listen-address", text("ADDRESS", d.tunnel_listen_host),
      "where the raw ports listen (wsproxy: loopback only)");
  add(tunnels, "tunnel-max-http-per-ip", number("N", d.tunnel_limits.max_http_per_ip),
      "concurrent tunnel requests from one address (wsproxy's MAX_TUNNEL_HTTP_PER_IP); over it: 429");
  add(tunnels, "tunnel-max-tcp", number("N", d.tunnel_limits.max_tcp_global),
      "concurrent raw-port connections over all tunnels (wsproxy's MAX_TUNNEL_TCP_CONNS_GLOBAL)");
  add(tunnels, "max-tunnels", number("N", d.tunnel_limits.max_tunnels), "tunnels registered at once");
  add(tunnels, "tunnel-response-seconds", number("N", static_cast<std::uint64_t>(d.tunnel_response_timeout.count())),
      "how long a visitor's request waits for the tunnel's answer before 504 (wsproxy: 60)");
  add(tunnels, "tunnel-subdomain-key-file", text("PATH", ""),
      "a secret (at least 32 bytes) from which a principal's stable subdomain (/tunnel?subdomain=stable) is "
      "derived, so it survives restarts and is the same on every relay sharing the file; empty: a key drawn "
      "at start (stable until the relay restarts)");

  po::options_description cluster = group("Cluster: several relays sharing a session directory (docs/cluster.md)");
  add(cluster, "cluster-redis", text("URL", ""),
      "the session directory: redis://[[user]:password@]host[:port][/db] or rediss:// (TLS); Valkey works "
      "too; empty: this relay stands alone");
  add(cluster, "cluster-redis-ca", text("FILE", ""), "rediss://: trust this CA (PEM) instead of the system's");
  add(cluster, "cluster-listen", text("ADDR:PORT", ""),
      "the internal link other nodes hand reconnects to (keep it on a private network, never behind the "
      "public load balancer); required with --cluster-redis");
  add(cluster, "cluster-advertise", text("HOST:PORT", ""),
      "how other nodes reach --cluster-listen; default: its address (which must then not be 0.0.0.0 or ::)");
  add(cluster, "cluster-secret-file", text("PATH", ""),
      "a secret (at least 32 bytes) every node shares: it authenticates the internal link; required with "
      "--cluster-redis");
  add(cluster, "cluster-node-id", text("ID", ""), "this node's name in the directory; default: <hostname>-<random>");
  add(cluster, "cluster-heartbeat-ms", number("MS", static_cast<std::uint64_t>(d.cluster.heartbeat.count())),
      "how often the node refreshes its record and reads the others' load (its record lives 5 beats)");

  po::options_description identity = group("Identity (docs/identity.md)");
  add(identity, "identity-provider", text("NAME"),
      "cloudflare-access, gcp-iap, oidc, or none (needs --identity-upstream-enforces-auth); required "
      "unless --dev");
  add(identity, "identity-team-domain", text("DOMAIN"), "cloudflare-access: <team> or <team>.cloudflareaccess.com");
  add(identity, "identity-audience", list("AUD", {}),
      "accepted `aud` values (repeat or comma-separate); required by every JWT provider");
  add(identity, "identity-issuer", text("URL"), "expected `iss`; required for oidc, overrides the provider's default");
  add(identity, "identity-jwks-url", text("URL"), "https:// JWKS; oidc default: discovered from the issuer");
  add(identity, "identity-client-id", text("ID"),
      "oidc: the OAuth client id 'sshrelay auth' (and swsrs auth) logs in with, named at /.well-known/swsrs-config");
  add(identity, "identity-cookie", text("NAME"), "cookie holding the token (cloudflare-access default: CF_Authorization)");
  add(identity, "identity-query-param", text("NAME"), "query parameter holding the token, e.g. token (redacted in logs)");
  add(identity, "identity-ca-file", text("FILE"), "extra CA certificates (PEM) for fetching the JWKS");
  add(identity, "identity-leeway-seconds", number("N", 60), "clock skew allowed on exp/nbf/iat (0..600)");
  add(identity, "identity-jwks-refresh-seconds", number("N", 600), "refetch the JWKS this often (1..86400)");
  add(identity, "identity-jwks-min-refresh-seconds", number("N", 30),
      "at most one refetch per this long when an unknown kid arrives (1..3600)");
  add(identity, "identity-upstream-enforces-auth", boolean(),
      "with provider none: a proxy in front of the relay authenticates every request");
  add(identity, "identity-user-header", text("NAME"),
      "with provider none: the principal is this header's value (e.g. X-Forwarded-Email)");

  po::options_description audit = group("Audit (docs/audit.md)");
  add(audit, "audit-format", text("FORMAT", "sshrelay"),
      "field names of audit events: sshrelay (docs/audit.md) or ssh-relay (the Python relay's, for existing "
      "searches)");
  add(audit, "audit-stderr", text("BOOL")->implicit_value("true"),
      "audit events as JSON lines on stderr; default: on unless another audit sink is set");
  add(audit, "audit-jsonl", text("FILE"), "append audit events as JSON lines to FILE");
  add(audit, "audit-jsonl-max-bytes", text("BYTES", "100MiB"), "rotate the JSONL file at this size; 0 = never");
  add(audit, "audit-jsonl-keep", number("N", 5), "rotated JSONL files kept (0..1000)");
  add(audit, "audit-jsonl-fsync", text("BOOL", "true")->implicit_value("true"), "fdatasync the JSONL file after every batch");
  add(audit, "audit-hec-url", text("URL"), "Splunk HTTP Event Collector, https://splunk:8088[/services/collector/event]");
  add(audit, "audit-hec-token-file", text("FILE"), "file holding the HEC token");
  add(audit, "audit-hec-token", text("TOKEN"), "the HEC token itself (environment or config file only, never a flag)");
  add(audit, "audit-hec-ca-file", text("FILE"), "CA certificates (PEM) trusted for HEC; default: the system store");
  add(audit, "audit-hec-verify", text("BOOL", "true")->implicit_value("true"),
      "check the HEC's certificate; false accepts any (a lab's self-signed collector)");
  add(audit, "audit-hec-index", text("INDEX"), "Splunk index of the events; default: the token's");
  add(audit, "audit-hec-source", text("SOURCE", "sshrelayd"), "HEC source of the events");
  add(audit, "audit-hec-sourcetype", text("TYPE", "sshrelay:audit"), "HEC sourcetype of the events");
  add(audit, "audit-hec-batch", number("N", 100), "events per HEC request (1..10000)");
  add(audit, "audit-hec-flush-ms", number("N", 1000), "send a partial HEC batch after this long (1..60000)");
  add(audit, "audit-pan-url", list("URLS", {}),
      "PAN-OS XML API for User-ID, https://firewall[/api/]; several firewalls: repeat or comma-separate; needs "
      "--source-port-range");
  add(audit, "audit-pan-key-file", text("FILE"), "file holding the PAN-OS API key");
  add(audit, "audit-pan-key", text("KEY"), "the PAN-OS API key itself (environment or config file only, never a flag)");
  add(audit, "audit-pan-ca-file", text("FILE"), "CA certificates (PEM) trusted for the firewall");
  add(audit, "audit-pan-verify", text("BOOL", "true")->implicit_value("true"),
      "check the firewall's certificate; false accepts any");
  add(audit, "audit-pan-login-timeout-seconds", number("N", 0),
      "User-ID mappings expire after this long without a logout (PAN-OS counts minutes: rounded up); 0: "
      "the firewall's own");
  add(audit, "audit-pan-relay-ip", text("IP"),
      "the relay address the firewall sees, when NAT lies between them; default: each session's outbound address");
  add(audit, "audit-pan-user-domain", text("DOMAIN"), "User-ID names become DOMAIN\\principal");
  add(audit, "audit-pan-vsys", text("VSYS"), "vsys of the User-ID request (e.g. vsys1)");
  add(audit, "audit-pan-key-in-body", boolean(), "send the API key in the POST body instead of the X-PAN-KEY header");
  add(audit, "audit-pan-block-size", number("N", 1), "source ports per session in the User-ID mapping");
  add(audit, "audit-queue", number("N", 10000), "events queued per sink before that sink starts losing them");

  po::options_description diagnostics = group("Diagnostics");
  add(diagnostics, "log-level", text("LEVEL", d.log_level), "debug, info, warn or error");
  add(diagnostics, "strict-config", boolean(),
      "refuse to start when a RELAY_* variable names no setting (without it, each one is reported at "
      "startup, with the nearest setting's name, and ignored)");
  add(diagnostics, "dev", boolean(),
      "developer defaults: --unsafe-allow-loopback, --log-level=debug and --identity-provider=none "
      "(unauthenticated) unless those are given");

  settings.add(listening).add(sessions).add(access).add(policy).add(meeting).add(tunnels).add(cluster).add(identity).add(audit).add(diagnostics);
  all.add(general).add(settings);
}

// The long names of everything a config file or RELAY_* variable may set.
std::vector<std::string> setting_names(const Options& options) {
  std::vector<std::string> names;
  for (const auto& option : options.settings.options()) names.push_back(option->long_name());
  return names;
}

std::string help_text(const Options& options) {
  std::ostringstream out;
  out << "Usage: sshrelayd [OPTIONS]\n"
         "WebSocket relay for SSH. Endpoints: /v4/connect and /v4/reconnect (corp-relay-v4, for the Secure\n"
         "Shell extension, the web client and `sshrelay proxy`; resumes dropped sessions), /relay?host=&port=\n"
         "and /websockify (plain WebSocket-to-TCP, as wsproxy and websockify speak; no resume), /healthz,\n"
         "/health, /statz, /cookie, /endpoint; /proxy and /connect answer the older corp-relay@google.com\n"
         "with a message naming the option to set. The Python relay's RELAY_* variables are read too\n"
         "(docs/migrating.md).\n"
      << options.all
      << "\nEach setting comes from, highest precedence first: the command line, its RELAY_* environment\n"
         "variable (shown in brackets), the --config file, the default. An empty variable counts as unset;\n"
         "a RELAY_* variable that names no setting is reported at startup (refused with --strict-config).\n"
         "Lists (listen, allowed-origins) may be repeated or comma-separated. Sizes take K/M/G or\n"
         "KiB/MiB/GiB (powers of 1024). Booleans take 1/0, true/false, yes/no, on/off. See\n"
         "docs/configuration.md.\n";
  return out.str();
}

std::string version_text() {
  std::ostringstream out;
  out << "sshrelayd " << SSHRELAY_VERSION << " (Boost " << BOOST_VERSION / 100000 << '.'
      << BOOST_VERSION / 100 % 1000 << '.' << BOOST_VERSION % 100 << ", " << OpenSSL_version(OPENSSL_VERSION)
      << ")\n";
  return out.str();
}

// ---------------------------------------------------------------------------------------------------
// Sources

// Thrown inside this file only; parse_daemon_config turns it into a ConfigError.
struct Failure {
  std::string message;
};

enum class Source { command_line, environment, config_file };

// Best effort: the 1-based line of a config file where `key = ...` is set (the last such line: a value
// that was used is the only one for a scalar key). Boost's parser does not report line numbers. A key
// read under a [section] header is "section.key" to Boost but plain "key" on its line.
std::optional<int> line_of_key(const std::string& path, std::string_view key) {
  const auto find = [&path](std::string_view k) -> std::optional<int> {
    std::ifstream in(path);
    std::string line;
    std::optional<int> found;
    for (int n = 1; std::getline(in, line); ++n) {
      const auto t = trim(line);
      if (t.starts_with(k) && trim(t.substr(k.size())).starts_with('=')) found = n;
    }
    return found;
  };
  if (const auto n = find(key)) return n;
  if (const auto dot = key.rfind('.'); dot != std::string_view::npos) return find(key.substr(dot + 1));
  return std::nullopt;
}

std::string where_in_file(const std::string& path, std::string_view key) {
  std::string out = "config file " + in_quotes(path);
  if (const auto n = line_of_key(path, key)) out += ", line " + std::to_string(*n);
  return out;
}

// Same loop as po::parse_environment, over a map instead of ::environ.
po::parsed_options parse_environment_map(const po::options_description& desc,
                                         const std::map<std::string, std::string>& env,
                                         const std::function<std::string(std::string)>& name_mapper) {
  po::parsed_options result(&desc);
  for (const auto& [var, value] : env) {
    const std::string name = name_mapper(var);
    if (name.empty() || trim(value).empty()) continue;  // unknown or empty: unset
    po::option opt;
    opt.string_key = name;
    opt.value.push_back(value);
    opt.original_tokens = {var, value};
    result.options.push_back(std::move(opt));
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------
// Turning the merged strings into a DaemonConfig

class Reader {
 public:
  Reader(const po::variables_map& vm, const std::map<std::string, Source>& sources, std::string config_path)
      : vm_(vm), sources_(sources), config_path_(std::move(config_path)) {}

  bool given(const std::string& name) const { return vm_.count(name) != 0 && !vm_[name].defaulted(); }
  bool from_command_line(const std::string& name) const {
    const auto it = sources_.find(name);
    return it != sources_.end() && it->second == Source::command_line;
  }

  // The value, or "" when neither given nor defaulted.
  std::string str(const std::string& name) const {
    return vm_.count(name) ? std::string(trim(vm_[name].as<std::string>())) : std::string();
  }

  // Repeated and comma-separated values, trimmed, empty items dropped.
  std::vector<std::string> items(const std::string& name) const {
    std::vector<std::string> out;
    if (!vm_.count(name)) return out;
    for (const auto& value : vm_[name].as<std::vector<std::string>>()) {
      for (auto& item : split_list(value)) out.push_back(std::move(item));
    }
    return out;
  }

  [[noreturn]] void fail(const std::string& name, const std::string& problem) const {
    std::string message = label(name) + ": " + problem;
    if (const auto it = sources_.find(name); it != sources_.end()) {
      switch (it->second) {
        case Source::command_line: message += " (from the command line)"; break;
        case Source::environment: message += " (from the environment)"; break;
        case Source::config_file: message += " (from " + where_in_file(config_path_, name) + ")"; break;
      }
    }
    throw Failure{std::move(message)};
  }

  std::uint64_t uint(const std::string& name, std::uint64_t min, std::uint64_t max) const {
    const std::string s = str(name);
    const auto v = parse_u64(s);
    if (!v) fail(name, in_quotes(s) + " is not a number");
    if (*v < min || *v > max)
      fail(name, in_quotes(s) + " is out of range (" + std::to_string(min) + ".." + std::to_string(max) + ")");
    return *v;
  }

  std::chrono::seconds seconds(const std::string& name, std::uint64_t min, std::uint64_t max) const {
    return std::chrono::seconds(static_cast<std::chrono::seconds::rep>(uint(name, min, max)));
  }

  std::size_t bytes(const std::string& name, std::uint64_t min) const {
    const std::string s = str(name);
    const auto digits_end = std::find_if(s.begin(), s.end(), [](char c) { return c < '0' || c > '9'; });
    const std::string_view digits(s.data(), static_cast<std::size_t>(digits_end - s.begin()));
    const std::string suffix = lower(trim(std::string_view(s).substr(digits.size())));
    std::optional<std::uint64_t> unit;
    if (suffix.empty() || suffix == "b") unit = 1;
    else if (suffix == "k" || suffix == "kib") unit = kKiB;
    else if (suffix == "m" || suffix == "mib") unit = kMiB;
    else if (suffix == "g" || suffix == "gib") unit = kGiB;
    const auto v = parse_u64(digits);
    if (!v || !unit)
      fail(name, in_quotes(s) + " is not a size (a number of bytes, optionally followed by K, M, G, KiB, MiB or GiB)");
    constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::size_t>::max());
    if (*v > max / *unit) fail(name, in_quotes(s) + " is too large");
    const std::uint64_t total = *v * *unit;
    if (total < min) fail(name, in_quotes(s) + " is below the minimum of " + format_bytes(min));
    return static_cast<std::size_t>(total);
  }

  bool flag(const std::string& name) const {
    if (const auto value = parse_bool_word(str(name))) return *value;
    fail(name, in_quotes(str(name)) + " is not a boolean (use 1/0, true/false, yes/no, on/off)");
  }

  ListenAddress listen_address(const std::string& name, const std::string& s) const {
    const std::string example = " (use ADDR:PORT, e.g. 127.0.0.1:8080, 0.0.0.0:443 or [::]:443)";
    const auto rv = boost::urls::parse_authority(s);
    if (!rv) {
      if (std::count(s.begin(), s.end(), ':') > 1 && !s.starts_with('['))
        fail(name, in_quotes(s) + " is not ADDR:PORT (put IPv6 addresses in brackets, e.g. [::1]:8080)");
      fail(name, in_quotes(s) + " is not ADDR:PORT" + example);
    }
    const auto& a = *rv;
    if (a.has_userinfo()) fail(name, in_quotes(s) + " is not ADDR:PORT" + example);
    ListenAddress out;
    switch (a.host_type()) {
      case boost::urls::host_type::ipv4: out.host = a.host_ipv4_address().to_string(); break;
      case boost::urls::host_type::ipv6: out.host = a.host_ipv6_address().to_string(); break;
      case boost::urls::host_type::name: {
        const std::string host(a.encoded_host());
        if (host.empty()) fail(name, in_quotes(s) + " has no address" + example);
        if (!is_dns_name(host)) fail(name, in_quotes(s) + ": " + in_quotes(host) + " is not an IP address or host name");
        out.host = host;
        break;
      }
      default: fail(name, in_quotes(s) + " is not an IP address or host name");
    }
    if (!a.has_port() || a.port().empty()) fail(name, in_quotes(s) + " has no port" + example);
    const auto port = parse_u64(a.port());
    if (!port || *port > 65535)
      fail(name, in_quotes(s) + ": port " + in_quotes(a.port()) + " is out of range (0..65535)");
    out.port = static_cast<std::uint16_t>(*port);
    return out;
  }

  // A host name or IP address; IPv6 may be bracketed or not and is stored without brackets.
  std::string host(const std::string& name) const {
    const std::string s = str(name);
    std::string_view inner = s;
    if (inner.size() > 2 && inner.front() == '[' && inner.back() == ']') inner = inner.substr(1, inner.size() - 2);
    if (const auto v6 = boost::urls::parse_ipv6_address(inner)) return v6->to_string();
    if (inner.size() != s.size()) fail(name, in_quotes(s) + " is not an IPv6 address");
    if (const auto v4 = boost::urls::parse_ipv4_address(s)) return v4->to_string();
    if (s.find(':') != std::string::npos && s.find(':') == s.rfind(':'))
      fail(name, in_quotes(s) + " is not a host name (give the port with --public-port)");
    if (!is_dns_name(s)) fail(name, in_quotes(s) + " is not a host name or IP address");
    return s;
  }

  // "*" or scheme://host[:port], lowercased and without the scheme's default port: the form a browser
  // sends in the Origin header, so that an exact comparison works.
  std::string origin(const std::string& name, const std::string& s) const {
    if (s == "*") return s;
    const std::string form = " is not an origin (use scheme://host[:port], e.g. https://relay.example.com, or *)";
    const auto rv = boost::urls::parse_uri(s);
    if (!rv) fail(name, in_quotes(s) + form);
    const auto& u = *rv;
    if (!u.has_authority() || u.encoded_host().empty() || u.has_userinfo()) fail(name, in_quotes(s) + form);
    if (u.encoded_path() == "/") fail(name, in_quotes(s) + " is not an origin (drop the trailing /)");
    if (!u.encoded_path().empty() || u.has_query() || u.has_fragment())
      fail(name, in_quotes(s) + " is not an origin (no path, query or fragment)");
    if (u.host_type() == boost::urls::host_type::name && !is_dns_name(u.encoded_host()))
      fail(name, in_quotes(s) + " is not an origin: " + in_quotes(u.encoded_host()) +
                     " is not a host name (only a lone * is a wildcard)");
    const std::string scheme = lower(u.scheme());
    std::string out = scheme + "://" + lower(u.encoded_host());
    if (u.has_port()) {
      const auto port = parse_u64(u.port());
      if (!port || *port < 1 || *port > 65535)
        fail(name, in_quotes(s) + ": port " + in_quotes(u.port()) + " is out of range (1..65535)");
      const bool default_port = ((scheme == "https" || scheme == "wss") && *port == 443) ||
                                ((scheme == "http" || scheme == "ws") && *port == 80);
      if (!default_port) out += ":" + std::to_string(*port);
    }
    return out;
  }

  // A file holding a key: at least 32 bytes, read whole.
  std::string secret_file(const std::string& name, const std::string& path) const {
    readable_file(name, path);
    std::ifstream in(path, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    const std::string key = bytes.str();
    if (key.size() < 32) {
      fail(name, in_quotes(path) + " holds " + std::to_string(key.size()) +
                     " bytes; a key needs at least 32 (e.g. head -c 32 /dev/urandom > FILE)");
    }
    return key;
  }

  void readable_file(const std::string& name, const std::string& path) const {
    std::error_code ec;
    if (fs::is_directory(path, ec)) fail(name, in_quotes(path) + " is a directory, not a file");
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) fail(name, in_quotes(path) + " cannot be read: " + std::strerror(errno));
    std::fclose(f);
  }

 private:
  const po::variables_map& vm_;
  const std::map<std::string, Source>& sources_;
  std::string config_path_;
};

// The first line of a secret file (a token or an API key), without its line ending.
std::string read_secret_file(const Reader& r, const std::string& name) {
  const std::string path = r.str(name);
  if (path.empty()) return {};
  r.readable_file(name, path);
  std::ifstream in(path);
  std::string secret;
  std::getline(in, secret);
  secret = std::string(trim(secret));
  if (secret.empty()) r.fail(name, in_quotes(path) + " is empty");
  return secret;
}

// A secret given as a value (environment or config file: a command line is visible to every local user)
// or in a file; not both.
std::string read_secret(const Reader& r, const std::string& value_name, const std::string& file_name) {
  const std::string value = r.str(value_name);
  if (value.empty()) return read_secret_file(r, file_name);
  if (r.from_command_line(value_name))
    r.fail(value_name, "a secret on the command line is visible to every local user: use " + env_name(value_name) +
                           " or --" + file_name);
  if (!r.str(file_name).empty()) r.fail(value_name, "is set together with --" + file_name + "; give one");
  return value;
}

// --identity-*: the Authenticator checks them (its validate() names the flag).
void read_identity(const Reader& r, DaemonConfig& c) {
  auto& id = c.identity;
  id.provider = lower(r.str("identity-provider"));
  id.upstream_enforces_auth = r.flag("identity-upstream-enforces-auth");
  if (id.provider.empty() && c.dev) {
    id.provider = "none";  // make dev: a loopback relay for one developer
    if (!r.given("identity-upstream-enforces-auth")) id.upstream_enforces_auth = true;
  }
  id.team_domain = r.str("identity-team-domain");
  id.audiences = r.items("identity-audience");
  id.issuer = r.str("identity-issuer");
  id.jwks_url = r.str("identity-jwks-url");
  id.client_id = r.str("identity-client-id");
  id.cookie_name = r.str("identity-cookie");
  id.query_param = r.str("identity-query-param");
  id.ca_file = r.str("identity-ca-file");
  if (!id.ca_file.empty()) r.readable_file("identity-ca-file", id.ca_file);
  id.leeway = r.seconds("identity-leeway-seconds", 0, 600);
  id.refresh_interval = r.seconds("identity-jwks-refresh-seconds", 1, 86400);
  id.refresh_min_interval = r.seconds("identity-jwks-min-refresh-seconds", 1, 3600);
  id.user_header = r.str("identity-user-header");
  if (auto ok = id.validate(); !ok) throw Failure{ok.error().message};
}

// --audit-*: AuditLog checks them (its validate() names the flag).
void read_audit(const Reader& r, DaemonConfig& c) {
  auto& a = c.audit;
  const auto format = parse_audit_format(lower(r.str("audit-format")));
  if (!format) r.fail("audit-format", in_quotes(r.str("audit-format")) + " is not a format (use sshrelay or ssh-relay)");
  a.format = *format;
  a.jsonl_path = r.str("audit-jsonl");
  a.jsonl_max_bytes = r.str("audit-jsonl-max-bytes") == "0" ? 0 : r.bytes("audit-jsonl-max-bytes", 4096);
  a.jsonl_keep = static_cast<unsigned>(r.uint("audit-jsonl-keep", 0, 1000));
  a.jsonl_fsync = r.flag("audit-jsonl-fsync");
  a.hec_url = r.str("audit-hec-url");
  a.hec_token = read_secret(r, "audit-hec-token", "audit-hec-token-file");
  a.hec_ca_file = r.str("audit-hec-ca-file");
  a.hec_verify = r.flag("audit-hec-verify");
  a.hec_index = r.str("audit-hec-index");
  a.hec_source = r.str("audit-hec-source");
  a.hec_sourcetype = r.str("audit-hec-sourcetype");
  if (a.hec_source.empty()) r.fail("audit-hec-source", "must not be empty");
  if (a.hec_sourcetype.empty()) r.fail("audit-hec-sourcetype", "must not be empty");
  a.hec_batch_max = static_cast<std::size_t>(r.uint("audit-hec-batch", 1, 10000));
  a.hec_flush_interval = std::chrono::milliseconds(r.uint("audit-hec-flush-ms", 1, 60000));
  a.pan_urls = r.items("audit-pan-url");
  a.pan_api_key = read_secret(r, "audit-pan-key", "audit-pan-key-file");
  a.pan_ca_file = r.str("audit-pan-ca-file");
  a.pan_verify = r.flag("audit-pan-verify");
  a.pan_login_timeout_minutes = static_cast<unsigned>((r.uint("audit-pan-login-timeout-seconds", 0, 30 * 86400) + 59) / 60);
  if (!r.str("audit-pan-relay-ip").empty()) {
    const std::string ip = r.host("audit-pan-relay-ip");
    if (!boost::urls::parse_ipv4_address(ip) && !boost::urls::parse_ipv6_address(ip))
      r.fail("audit-pan-relay-ip", in_quotes(ip) + " is not an IP address");
    a.pan_relay_ip = ip;
  }
  a.pan_user_domain = r.str("audit-pan-user-domain");
  a.pan_vsys = r.str("audit-pan-vsys");
  a.pan_key_in_body = r.flag("audit-pan-key-in-body");
  a.pan_port_first = c.source_port_first;
  a.pan_port_last = c.source_port_last;
  a.pan_block_size = static_cast<std::uint16_t>(r.uint("audit-pan-block-size", 1, 65535));
  a.queue_capacity = static_cast<std::size_t>(r.uint("audit-queue", 1, 10'000'000));
  // A relay with no audit trail by default is a trap: stderr is on unless turned off or another sink is set.
  const bool other_sink = !a.jsonl_path.empty() || !a.hec_url.empty() || !a.pan_urls.empty();
  a.to_stderr = r.str("audit-stderr").empty() ? !other_sink : r.flag("audit-stderr");
  if (auto ok = a.validate(); !ok) throw Failure{ok.error().message};
}

DaemonConfig to_config(const Reader& r) {
  DaemonConfig c;

  std::vector<std::string> listen_items = r.items("listen");
  if (listen_items.empty()) r.fail("listen", "needs at least one ADDR:PORT");
  for (const auto& item : listen_items) {
    const ListenAddress addr = r.listen_address("listen", item);
    if (addr.port != 0 && std::find(c.listen.begin(), c.listen.end(), addr) != c.listen.end())
      r.fail("listen", in_quotes(item) + " is given twice");
    c.listen.push_back(addr);
  }
  c.public_host = r.str("public-host").empty() ? c.listen.front().host : r.host("public-host");
  // A public host means a name in front of the relay, which browsers reach on 443 (as in the Python
  // relay); without one the browser is sent where the relay listens.
  if (!r.str("public-port").empty()) c.public_port = static_cast<std::uint16_t>(r.uint("public-port", 1, 65535));
  else c.public_port = r.str("public-host").empty() ? c.listen.front().port : 443;
  if (r.str("public-host").empty() && (c.public_host == "0.0.0.0" || c.public_host == "::")) {
    c.warnings.push_back("listening on " + c.public_host + " without --public-host (RELAY_PUBLIC_HOST): /cookie "
                         "would send browsers to " + c.public_host + ", which is no address of this relay; set the "
                         "name browsers use");
  }

  if (const auto metrics = r.str("metrics-listen"); metrics == "main") {
    c.metrics_on_main_listener = true;
  } else if (!metrics.empty()) {
    c.metrics_listen = r.listen_address("metrics-listen", metrics);
    for (const auto& l : c.listen) {
      if (l == *c.metrics_listen && l.port != 0) r.fail("metrics-listen", in_quotes(metrics) + " is also a --listen address; use 'main'");
    }
  }

  c.tls_cert = r.str("tls-cert");
  c.tls_key = r.str("tls-key");
  if (!c.tls_cert.empty() && c.tls_key.empty())
    r.fail("tls-cert", in_quotes(c.tls_cert) + " is set but --tls-key (RELAY_TLS_KEY) is not; give both or neither");
  if (c.tls_cert.empty() && !c.tls_key.empty())
    r.fail("tls-key", in_quotes(c.tls_key) + " is set but --tls-cert (RELAY_TLS_CERT) is not; give both or neither");
  if (!c.tls_cert.empty()) {
    r.readable_file("tls-cert", c.tls_cert);
    r.readable_file("tls-key", c.tls_key);
  }

  c.web_root = r.str("web-root");
  if (r.given("web-root")) {
    std::error_code ec;
    if (c.web_root.empty() || !fs::is_directory(c.web_root, ec))
      r.fail("web-root", in_quotes(c.web_root) + " is not a directory");
  }

  c.ready_file = r.str("ready-file");
  c.handover_socket = r.str("handover-socket");
  c.takeover = r.flag("takeover");
  if (c.takeover && c.handover_socket.empty()) r.fail("takeover", "needs --handover-socket: the socket the running sshrelayd offers its state on");
  if (!c.ready_file.empty()) {
    std::error_code ec;
    const fs::path parent = fs::path(c.ready_file).parent_path();
    if (fs::is_directory(c.ready_file, ec)) r.fail("ready-file", in_quotes(c.ready_file) + " is a directory");
    if (!parent.empty() && !fs::is_directory(parent, ec))
      r.fail("ready-file", in_quotes(c.ready_file) + ": directory " + in_quotes(parent.string()) + " does not exist");
  }

  c.grace = r.seconds("grace-seconds", 0, 86400);
  c.max_replay_buffer = r.bytes("max-replay-buffer", kMinReplayBuffer);
  c.max_replay_memory = r.bytes("max-replay-memory", kMinReplayBuffer);
  if (c.max_replay_memory < c.max_replay_buffer)
    r.fail("max-replay-memory", in_quotes(r.str("max-replay-memory")) + " is smaller than --max-replay-buffer (" +
                                    format_bytes(c.max_replay_buffer) + "); the budget must hold one full session");
  c.max_sessions_total = static_cast<std::size_t>(r.uint("max-sessions-total", 1, 10'000'000));
  c.ping_interval = r.seconds("ping-seconds", 1, 3600);
  c.connect_timeout = r.seconds("connect-timeout-seconds", 1, 300);
  c.shutdown_timeout = r.seconds("shutdown-seconds", 0, 600);
  c.threads = static_cast<unsigned>(r.uint("threads", 0, 256));

  for (const auto& item : r.items("allowed-origins")) {
    std::string o = r.origin("allowed-origins", item);
    if (std::find(c.allowed_origins.begin(), c.allowed_origins.end(), o) == c.allowed_origins.end())
      c.allowed_origins.push_back(std::move(o));
  }

  for (const auto& item : r.items("allowed-hosts")) {
    if (!is_dns_name(item)) r.fail("allowed-hosts", in_quotes(item) + " is not a DNS name");
    c.allowed_hosts.push_back(lower(item));
  }
  c.require_origin = r.flag("require-origin");
  c.request_timeout = r.seconds("request-timeout-seconds", 1, 300);

  c.dev = r.flag("dev");
  c.unsafe_allow_loopback = r.given("unsafe-allow-loopback") ? r.flag("unsafe-allow-loopback") : c.dev;

  c.target_policy.allow_loopback = c.unsafe_allow_loopback;
  c.target_policy.allow_private = r.flag("allow-private");
  auto cidrs = [&r](const char* name) {
    std::vector<Cidr> blocks;
    for (const auto& item : r.items(name)) {
      auto cidr = parse_cidr(item);
      if (!cidr) r.fail(name, cidr.error().message);
      blocks.push_back(*cidr);
    }
    return blocks;
  };
  c.target_policy.allow = cidrs("allow-targets");
  c.target_policy.deny = cidrs("deny-targets");
  c.trusted_proxies = cidrs("trusted-proxies");
  if (!r.str("allowed-ports").empty()) {
    auto ports = parse_port_ranges(r.str("allowed-ports"));
    if (!ports) r.fail("allowed-ports", ports.error().message);
    c.target_policy.ports = std::move(*ports);
  }
  c.policy_file = r.str("policy-file");
  if (!c.policy_file.empty()) {
    r.readable_file("policy-file", c.policy_file);
    std::ifstream in(c.policy_file);
    std::stringstream text;
    text << in.rdbuf();
    auto rules = parse_principal_rules(text.str());
    if (!rules) r.fail("policy-file", in_quotes(c.policy_file) + ": " + rules.error().message);
    c.target_policy.rules = std::move(*rules);
    auto admins = parse_rendezvous_admins(text.str());
    if (!admins) r.fail("policy-file", in_quotes(c.policy_file) + ": " + admins.error().message);
    c.rendezvous_admins = std::move(*admins);
  }
  const auto duration = [&r](const char* name) {
    auto d = rendezvous::parse_duration(r.str(name));
    if (!d || *d <= Duration::zero()) {
      r.fail(name, in_quotes(r.str(name)) + " is not a positive duration like 90m or 1h30m" +
                       (d ? "" : " (" + d.error().message + ")"));
      return Duration{1};
    }
    return *d;
  };
  c.rendezvous.default_ttl = duration("rendezvous-ttl");
  c.rendezvous.max_ttl = duration("rendezvous-max-ttl");
  c.rendezvous.peer_wait = duration("rendezvous-peer-wait");
  if (c.rendezvous.default_ttl > c.rendezvous.max_ttl) {
    r.fail("rendezvous-ttl", in_quotes(r.str("rendezvous-ttl")) + " is longer than --rendezvous-max-ttl (" +
                                 r.str("rendezvous-max-ttl") + ")");
  }
  c.rendezvous.max_sessions = static_cast<std::size_t>(r.uint("max-rendezvous-sessions", 1, 1'000'000));
  c.rendezvous.max_sessions_per_principal = static_cast<std::size_t>(r.uint("max-rendezvous-per-principal", 0, 1'000'000));
  if (!r.str("source-port-range").empty()) {
    auto range = parse_port_ranges(r.str("source-port-range"));
    if (!range || range->size() != 1)
      r.fail("source-port-range", in_quotes(r.str("source-port-range")) + " is not one range FIRST-LAST, e.g. 20000-20999");
    c.source_port_first = range->front().first;
    c.source_port_last = range->front().last;
  }
  c.max_sessions_per_principal = static_cast<std::size_t>(r.uint("max-sessions-per-principal", 0, 10'000'000));
  c.max_connections_per_ip = static_cast<std::size_t>(r.uint("max-connections-per-ip", 0, 10'000'000));
  if (!r.str("relay-target").empty()) {
    auto target = parse_target(r.str("relay-target"), 0);
    if (!target || target->port == 0) {
      r.fail("relay-target", in_quotes(r.str("relay-target")) + " is not HOST:PORT" +
                                 (target ? "" : " (" + target.error().message + ")"));
    }
    c.relay_target = *target;
  }
  c.connect_rate_per_minute = static_cast<unsigned>(r.uint("connect-rate-per-minute", 0, 1'000'000));

  c.tunnels = r.flag("tunnels");
  c.tunnel_domain = tunnel::canonical_host(r.str("tunnel-domain"));
  if (!r.str("tunnel-domain").empty() && (c.tunnel_domain.empty() || c.tunnel_domain.find('.') == std::string::npos ||
                                           c.tunnel_domain.find_first_of(" /:@") != std::string::npos)) {
    r.fail("tunnel-domain", in_quotes(r.str("tunnel-domain")) + " is not a domain name like tunnels.example.com");
  }
  if (!r.str("tunnel-ports").empty()) {
    auto range = parse_port_ranges(r.str("tunnel-ports"));
    if (!range || range->size() != 1 || range->front().first == 0) {
      r.fail("tunnel-ports", in_quotes(r.str("tunnel-ports")) + " is not one range MIN-MAX of ports, e.g. 10000-10099");
    } else {
      c.tunnel_limits.port_min = range->front().first;
      // The flag names the last port; the pool's end is exclusive.
      c.tunnel_limits.port_max = static_cast<std::uint16_t>(std::min<std::uint32_t>(range->front().last + 1u, 65535u));
    }
  }
  c.tunnel_listen_host = r.str("tunnel-listen-address");
  if (!boost::urls::parse_ipv4_address(c.tunnel_listen_host) && !boost::urls::parse_ipv6_address(c.tunnel_listen_host)) {
    r.fail("tunnel-listen-address", in_quotes(c.tunnel_listen_host) + " is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::)");
  }
  c.tunnel_limits.max_http_per_ip = static_cast<std::size_t>(r.uint("tunnel-max-http-per-ip", 1, 1'000'000));
  c.tunnel_limits.max_tcp_global = static_cast<std::size_t>(r.uint("tunnel-max-tcp", 1, 1'000'000));
  c.tunnel_limits.max_tunnels = static_cast<std::size_t>(r.uint("max-tunnels", 1, 1'000'000));
  c.tunnel_response_timeout = std::chrono::seconds(r.uint("tunnel-response-seconds", 1, 3600));
  if (const auto key_file = r.str("tunnel-subdomain-key-file"); !key_file.empty()) {
    c.tunnel_subdomain_key = r.secret_file("tunnel-subdomain-key-file", key_file);
  }

  if (const auto url = r.str("cluster-redis"); !url.empty()) {
    auto parsed = cluster::parse_redis_url(url);
    // The message names the part that is wrong, never the password.
    if (!parsed) r.fail("cluster-redis", parsed.error().message);
    c.cluster.redis = *parsed;
    c.cluster.redis_ca_file = r.str("cluster-redis-ca");
    if (!c.cluster.redis_ca_file.empty()) r.readable_file("cluster-redis-ca", c.cluster.redis_ca_file);
    if (r.str("cluster-listen").empty()) r.fail("cluster-listen", "is required with --cluster-redis (the internal link, e.g. 10.0.0.5:8443)");
    c.cluster.listen = r.listen_address("cluster-listen", r.str("cluster-listen"));
    for (const auto& l : c.listen) {
      if (l == *c.cluster.listen && l.port != 0) r.fail("cluster-listen", "is also a --listen address: the internal link must not be public");
    }
    c.cluster.advertise = r.str("cluster-advertise");
    if (c.cluster.advertise.empty()) {
      const auto& host = c.cluster.listen->host;
      if (host == "0.0.0.0" || host == "::") {
        r.fail("cluster-advertise", "is required when --cluster-listen binds every address (" + host + "): name the one other nodes dial");
      }
      if (c.cluster.listen->port != 0) {
        c.cluster.advertise = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(c.cluster.listen->port);
      }  // port 0 (tests): the bound port, once known
    } else {
      (void)r.listen_address("cluster-advertise", c.cluster.advertise);
    }
    if (r.str("cluster-secret-file").empty()) {
      r.fail("cluster-secret-file", "is required with --cluster-redis (e.g. head -c 32 /dev/urandom > FILE, the same file on every node)");
    }
    c.cluster.secret = r.secret_file("cluster-secret-file", r.str("cluster-secret-file"));
    c.cluster.node_id = r.str("cluster-node-id");
    if (!c.cluster.node_id.empty() && !std::all_of(c.cluster.node_id.begin(), c.cluster.node_id.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
        })) {
      r.fail("cluster-node-id", in_quotes(c.cluster.node_id) + " may hold only letters, digits, '-', '_' and '.'");
    }
    c.cluster.heartbeat = std::chrono::milliseconds(r.uint("cluster-heartbeat-ms", 100, 60'000));
  } else {
    for (const char* name : {"cluster-listen", "cluster-advertise", "cluster-secret-file", "cluster-node-id", "cluster-redis-ca"}) {
      if (!r.str(name).empty()) r.fail(name, "has no effect without --cluster-redis");
    }
  }

  const std::string level = lower(r.str("log-level"));
  if (level != "debug" && level != "info" && level != "warn" && level != "error")
    r.fail("log-level", in_quotes(r.str("log-level")) + " is not one of debug, info, warn, error");
  c.log_level = c.dev && !r.given("log-level") ? "debug" : level;

  read_identity(r, c);
  read_audit(r, c);
  return c;
}

// "--foo" -> "foo" (Boost may report a config key with dashes in front).
std::string strip_dashes(std::string name) {
  name.erase(0, name.find_first_not_of('-'));
  return name;
}

}  // namespace

ConfigParse parse_daemon_config(int argc, const char* const argv[],
                                const std::map<std::string, std::string>& relay_env) {
  const Options options;
  po::variables_map vm;
  std::map<std::string, Source> sources;  // where each winning value came from
  const auto remember = [&](const po::parsed_options& parsed, Source source) {
    for (const auto& opt : parsed.options)
      if (!opt.unregistered && !opt.string_key.empty()) sources.try_emplace(opt.string_key, source);
  };

  // 1. Command line (highest precedence: stored first, later stores never override it).
  try {
    const int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    const po::parsed_options parsed = po::command_line_parser(argc, argv)
                                          .options(options.all)
                                          .style(style)
                                          .allow_unregistered()
                                          .run();
    const auto stray = po::collect_unrecognized(parsed.options, po::include_positional);
    if (!stray.empty()) {
      if (stray.front().starts_with('-'))
        return ConfigError{"unknown option " + in_quotes(stray.front()) + " (see --help)"};
      return ConfigError{"unexpected argument " + in_quotes(stray.front()) +
                         " (sshrelayd takes no positional arguments; settings are --name value)"};
    }
    po::store(parsed, vm);
    remember(parsed, Source::command_line);
  } catch (const po::error& e) {
    return ConfigError{std::string("command line: ") + e.what()};
  }
  if (vm.count("help")) return HelpRequested{help_text(options)};
  if (vm.count("version")) return HelpRequested{version_text()};

  // 2. RELAY_* environment variables, named like the long options; the Python relay's names are read as
  // the settings of ours they stand for.
  auto translated = config::translate_ssh_relay_environment(relay_env);
  if (!translated) return ConfigError{"environment: " + translated.error().message};
  std::vector<std::string> unknown_variables;
  const auto name_mapper = [&](const std::string& var) -> std::string {
    if (!var.starts_with(kEnvPrefix)) return {};
    std::string name = option_name_of(var);
    if (!name.empty() && (name == "config" || options.settings.find_nothrow(name, false))) return name;
    unknown_variables.push_back(var);  // names no setting: reported below, never silently dropped
    return {};
  };
  try {
    const po::parsed_options parsed = parse_environment_map(options.all, translated->variables, name_mapper);
    po::store(parsed, vm);
    remember(parsed, Source::environment);
  } catch (const po::error& e) {
    return ConfigError{std::string("environment: ") + e.what()};
  }

  // 3. The config file, if --config or RELAY_CONFIG names one.
  const std::string config_path = vm.count("config") ? std::string(trim(vm["config"].as<std::string>())) : "";
  if (!config_path.empty()) {
    const std::string where = "--config (RELAY_CONFIG): config file " + in_quotes(config_path);
    std::error_code ec;
    if (fs::is_directory(config_path, ec)) return ConfigError{where + " is a directory"};
    std::ifstream in(config_path);
    if (!in) return ConfigError{where + " cannot be read: " + std::strerror(errno)};
    try {
      const po::parsed_options parsed = po::parse_config_file(in, options.settings, false);
      po::store(parsed, vm);
      remember(parsed, Source::config_file);
    } catch (const po::unknown_option& e) {
      const std::string key = strip_dashes(e.get_option_name());
      const auto near = nearest_name(key, setting_names(options));
      return ConfigError{where_in_file(config_path, key) + ": unknown key " + in_quotes(key) +
                         (near ? " (did you mean " + *near + "?)"
                               : " (keys are the long option names without --, e.g. grace-seconds = 120)")};
    } catch (const po::error& e) {
      return ConfigError{"config file " + in_quotes(config_path) + ": " + e.what()};
    }
  }

  // 4. Defaults are already in vm (from the description); check and convert everything.
  try {
    po::notify(vm);
    const Reader reader(vm, sources, config_path);
    DaemonConfig config = to_config(reader);
    config.notices = std::move(translated->notices);
    if (!unknown_variables.empty()) {
      std::vector<std::string> known{env_name("config")};
      for (const auto& name : setting_names(options)) known.push_back(env_name(name));
      for (const auto& v : config::ssh_relay_variables()) known.emplace_back(v.name);
      std::vector<std::string> problems;
      for (const auto& var : unknown_variables) {
        const auto near = nearest_name(var, known);
        const auto hint = config::ssh_relay_hint(var);
        problems.push_back(var + " names no setting" +
                           (!hint.empty() ? " (" + std::string(hint) + ")"
                                          : near ? " (did you mean " + *near + "?)" : ""));
        config.warnings.push_back(problems.back() + "; ignored");
      }
      if (reader.flag("strict-config")) {
        return ConfigError{"--strict-config (RELAY_STRICT_CONFIG): " + join(problems, "; ") +
                           " (see --help for every setting)"};
      }
    }
    return config;
  } catch (const Failure& f) {
    return ConfigError{f.message};
  } catch (const std::exception& e) {  // not expected: every check above reports through Failure
    return ConfigError{e.what()};
  }
}

std::map<std::string, std::string> relay_environment() {
  std::map<std::string, std::string> out;
  for (char** e = environ; e && *e; ++e) {
    const std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos || !entry.starts_with(kEnvPrefix)) continue;
    out.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return out;
}

namespace {
std::string audit_sinks(const audit::AuditConfig& a) {
  std::vector<std::string> sinks;
  if (a.to_stderr) sinks.emplace_back("stderr");
  if (!a.jsonl_path.empty()) sinks.emplace_back("jsonl");
  if (!a.hec_url.empty()) sinks.emplace_back("splunk-hec");
  if (!a.pan_urls.empty()) sinks.emplace_back("pan-userid" + (a.pan_urls.size() > 1 ? "x" + std::to_string(a.pan_urls.size()) : std::string()));
  return sinks.empty() ? "off" : join(sinks, ",");
}
}  // namespace

std::string describe(const DaemonConfig& c) {
  const auto host_port = [](const std::string& host, std::uint16_t port) {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  };
  std::vector<std::string> listen;
  for (const auto& l : c.listen) listen.push_back(host_port(l.host, l.port));
  std::ostringstream out;
  out << "listen=" << join(listen, ",") << " public=" << host_port(c.public_host, c.public_port)
      << " tls=" << (c.tls_cert.empty() ? "off" : "on") << " web-root=" << c.web_root
      << " origins=" << (c.allowed_origins.empty() ? "own-only" : join(c.allowed_origins, ","))
      << " loopback-targets=" << (c.unsafe_allow_loopback ? "ALLOWED" : "denied")
      << " grace=" << c.grace.count() << "s replay=" << format_bytes(c.max_replay_buffer) << "/session,"
      << format_bytes(c.max_replay_memory) << "/total max-sessions=" << c.max_sessions_total
      << " threads=" << (c.threads == 0 ? std::string("auto") : std::to_string(c.threads))
      << " ping=" << c.ping_interval.count() << "s connect-timeout=" << c.connect_timeout.count()
      << "s shutdown=" << c.shutdown_timeout.count() << "s log-level=" << c.log_level
      << " identity=" << c.identity.provider << " audit=" << audit_sinks(c.audit)
      << (c.audit.format == AuditFormat::ssh_relay ? "(ssh-relay format)" : "")
      << " dev=" << (c.dev ? "on" : "off");
  if (c.tunnels) {
    out << " tunnels=on domain=" << (c.tunnel_domain.empty() ? "none" : c.tunnel_domain) << " tunnel-ports=";
    if (c.tunnel_limits.port_min == c.tunnel_limits.port_max) {
      out << "none";
    } else {
      out << c.tunnel_limits.port_min << "-" << (c.tunnel_limits.port_max - 1) << "@" << c.tunnel_listen_host;
    }
  }
  if (c.cluster.redis) {
    out << " cluster=" << c.cluster.redis->redacted() << " node=" << (c.cluster.node_id.empty() ? "auto" : c.cluster.node_id)
        << " internal-link=" << c.cluster.listen->host << ":" << c.cluster.listen->port;
  }
  if (!c.ready_file.empty()) out << " ready-file=" << c.ready_file;
  return out.str();
}

}  // namespace sshrelay::daemon
