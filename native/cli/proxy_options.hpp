#pragma once
// `sshrelay proxy` options: Boost.Program_options over the command line and SSHRELAY_* environment
// variables (the command line wins). A bad value throws UsageError naming the flag (exit code 2).
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "native/client/relay_url.hpp"

namespace sshrelay::cli {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ListenAddress {
  std::string address = "127.0.0.1";  // an IP literal
  std::uint16_t port = 0;             // 0: ephemeral (printed with -v)
  bool loopback() const;
  std::string to_string() const;
};

// Which command the options are for: `proxy` names a target; the rendezvous commands (swsrs's names
// and flags) name a session and a slot token instead, and the relay dials nothing.
// `tunnel` shares a local port through the relay's /tunnel (wsproxy's port sharing).
enum class ProxyCommand { proxy, tcp_dial, tcp_listen, raw, create, auth, tunnel };

struct ProxyOptions {
  ProxyCommand command = ProxyCommand::proxy;
  client::RelayUrl relay;
  std::string host;  // the target the relay dials
  std::uint16_t port = 22;
  std::string user;  // dstUsername (informational, for the relay's audit log)
  client::RelayShape shape = client::RelayShape::v4;  // --shape

  std::vector<std::pair<std::string, std::string>> headers;  // --header, then --cookie's Cookie header
  std::string token_file;
  std::string token_cmd;
  std::string token_header = "Authorization";
  std::chrono::seconds token_cmd_timeout{60};

  std::string ca_file;
  bool insecure = false;
  std::string tls_server_name;
  std::string origin;

  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds reconnect_timeout{120};  // default: the relay's default grace period

  // Rendezvous commands: the session (--session) and this side's token (--token); tcp-dial's --target.
  std::string rendezvous_id;
  std::string rendezvous_token;
  std::string dial_host;  // tcp-dial's --target, tunnel's --to
  std::uint16_t dial_port = 0;
  // tunnel: visitors' HTTP as wsproxy's http_request messages (--no-streams) rather than streams.
  bool tunnel_streams = true;
  bool tunnel_stable_subdomain = false;  // --stable-subdomain: the principal's own subdomain, every time
  // create: the lifetime asked for ("" = the relay's default), the output format, a bearer token.
  std::string ttl;
  std::string output = "json";  // json | env | text
  std::string bearer_token;     // --oidc-token (swsrs's name): sent as Authorization: Bearer

  // Where `sshrelay auth` keeps a login and the other commands find it (--credentials; "" = the default
  // path, native/cli/credentials_file.hpp).
  std::string credentials_path;
  // auth: the OAuth client id and issuer when the relay does not name them, extra scopes, --logout.
  std::string client_id;
  std::string issuer;
  std::vector<std::string> scopes;
  bool logout = false;

  std::optional<ListenAddress> listen;
  bool verbose = false;
  bool quiet = false;
  std::chrono::seconds stats_interval{5};
};

struct ProxyCommandLine {
  bool help = false;  // --help: print proxy_help() and exit 0
  ProxyOptions options;
};

// `args` are the words after the command. Reads SSHRELAY_* (and, for the rendezvous commands, swsrs's
// SWSRS_URL/SWSRS_SESSION/SWSRS_TOKEN) from the environment (see proxy_help()).
ProxyCommandLine parse_proxy_command_line(const std::vector<std::string>& args,
                                          ProxyCommand command = ProxyCommand::proxy);

// --listen's ADDRESS:PORT, [v6]:PORT, localhost:PORT or PORT (loopback).
ListenAddress parse_listen_address(const std::string& text);

std::string proxy_help();
std::string rendezvous_leg_help(ProxyCommand command);
std::string create_help();
std::string auth_help();
std::string tunnel_help();

}  // namespace sshrelay::cli
