#include "native/cli/proxy_options.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/program_options.hpp>

#include <charconv>
#include <map>
#include <sstream>

#include "core/policy/target.hpp"
#include "core/common/text.hpp"
#include "native/cli/auth_headers.hpp"
#include "native/cli/exit_status.hpp"

namespace sshrelay::cli {
namespace po = boost::program_options;

namespace {

constexpr unsigned kHelpWidth = 100;

// SSHRELAY_* variables and the options they set; anything else in the environment is ignored. The
// rendezvous commands also read swsrs's names (ours win when both are set: they are read first).
const std::map<std::string, std::string>& environment_names(bool rendezvous) {
  static const std::map<std::string, std::string> names = {
      {"SSHRELAY_RELAY", "relay"},
      {"SSHRELAY_TOKEN_FILE", "token-file"},
      {"SSHRELAY_TOKEN_CMD", "token-cmd"},
      {"SSHRELAY_TOKEN_HEADER", "token-header"},
      {"SSHRELAY_CA_FILE", "ca-file"},
      {"SSHRELAY_RECONNECT_TIMEOUT", "reconnect-timeout"},
      {"SSHRELAY_CREDENTIALS", "credentials"},
  };
  static const std::map<std::string, std::string> with_rendezvous = [] {
    auto all = names;
    all.insert({{"SSHRELAY_SESSION", "session"}, {"SSHRELAY_SESSION_TOKEN", "token"}, {"SWSRS_URL", "url"},
                {"SWSRS_SESSION", "session"}, {"SWSRS_TOKEN", "token"}, {"SWSRS_ADMIN_URL", "admin-url"},
                {"SWSRS_OIDC_TOKEN", "oidc-token"}, {"SWSRS_OIDC_CLIENT_ID", "client-id"}});
    return all;
  }();
  return rendezvous ? with_rendezvous : names;
}

po::options_description create_options() {
  po::options_description create("Rendezvous session (swsrs's flags)", kHelpWidth, kHelpWidth / 2);
  create.add_options()
      ("admin-url", po::value<std::string>()->value_name("URL"),
       "the relay as http(s)://HOST[:PORT][/PREFIX] (swsrs's name; the same as --relay; env SWSRS_ADMIN_URL)")
      ("ttl", po::value<std::string>()->value_name("DURATION"), "the session's lifetime, e.g. 30m or 8h; default: the relay's")
      ("output,o", po::value<std::string>()->value_name("json|env|text")->default_value("json"),
       "json: the relay's answer; env: shell variable lines for eval; text: what to run on each side")
      ("oidc-token", po::value<std::string>()->value_name("TOKEN"),
       "a bearer token for the relay's admin API (env SWSRS_OIDC_TOKEN); or use --token-cmd");
  return create;
}

po::options_description auth_options() {
  po::options_description auth("Login (swsrs's auth flags)", kHelpWidth, kHelpWidth / 2);
  auth.add_options()
      ("client-id", po::value<std::string>()->value_name("ID"),
       "the OAuth client id; default: the one the relay names (env SWSRS_OIDC_CLIENT_ID)")
      ("issuer", po::value<std::string>()->value_name("URL"),
       "the OIDC issuer to log in to; default: the one the relay names at /.well-known/swsrs-config")
      ("scope", po::value<std::vector<std::string>>()->value_name("SCOPE")->composing(),
       "a scope to ask for (repeatable); default: the relay's, plus openid and offline_access")
      ("logout", po::bool_switch(), "forget the saved login (delete the credentials file)");
  return auth;
}

po::options_description tunnel_options() {
  po::options_description tunnel("Tunnel", kHelpWidth, kHelpWidth / 2);
  tunnel.add_options()("to", po::value<std::string>()->value_name("HOST:PORT"),
                       "the local service to share, e.g. 127.0.0.1:3000 (required)")
      ("no-streams", po::bool_switch(),
       "take visitors' requests as wsproxy's http_request messages (bodies up to 10 MiB, no WebSocket) "
       "instead of streams, e.g. against a wsproxy relay")
      ("stable-subdomain", po::bool_switch(),
       "the same URL every time for the same login (sshrelayd derives it from who you are; one such tunnel at a time)");
  return tunnel;
}

po::options_description rendezvous_options(ProxyCommand command) {
  if (command == ProxyCommand::create) return create_options();
  if (command == ProxyCommand::auth) return auth_options();
  if (command == ProxyCommand::tunnel) return tunnel_options();
  po::options_description leg("Rendezvous (swsrs's flags)", kHelpWidth, kHelpWidth / 2);
  leg.add_options()
      ("url", po::value<std::string>()->value_name("URL"), "the same as --relay (swsrs's name; env SWSRS_URL)")
      ("session", po::value<std::string>()->value_name("ID"),
       "the rendezvous session id from 'sshrelay create' (env SSHRELAY_SESSION, SWSRS_SESSION)")
      ("token", po::value<std::string>()->value_name("TOKEN"),
       "this side's slot token from 'sshrelay create': the initiator's or the responder's (env "
       "SSHRELAY_SESSION_TOKEN, SWSRS_TOKEN)")
      ("role", po::value<std::string>()->value_name("initiator|responder"),
       "accepted for swsrs compatibility; the relay tells the slot from the token");
  if (command == ProxyCommand::tcp_dial) {
    leg.add_options()("target", po::value<std::string>()->value_name("HOST:PORT"),
                      "the local service to expose, e.g. 127.0.0.1:22 (required)");
  }
  return leg;
}

po::options_description visible_options() {
  po::options_description relay("Relay", kHelpWidth, kHelpWidth / 2);
  relay.add_options()
      ("relay,r", po::value<std::string>()->value_name("URL"),
       "the relay: ws://HOST[:PORT][/PREFIX] or wss://HOST[:PORT][/PREFIX] (env SSHRELAY_RELAY)")
      ("user,l", po::value<std::string>()->value_name("NAME"),
       "remote user name, passed to the relay for its audit log (ssh's %r)")
      ("shape", po::value<std::string>()->value_name("v4|relay")->default_value("v4"),
       "the relay endpoint: v4 (/v4/connect, resumes after network drops) or relay (/relay: plain bytes, "
       "as wsproxy and websockify speak; a drop ends the session)")
      ("origin", po::value<std::string>()->value_name("ORIGIN"), "Origin header to send; default: the relay's own origin (https://RELAYHOST[:PORT])")
      ("connect-timeout", po::value<unsigned>()->value_name("SECONDS")->default_value(10),
       "limit for each connection attempt: DNS, TCP, TLS and the WebSocket upgrade (1-600)")
      ("reconnect-timeout", po::value<unsigned>()->value_name("SECONDS")->default_value(120),
       "after a network drop, keep trying to resume the session this long (0-86400); the default is the "
       "relay's default grace period (env SSHRELAY_RECONNECT_TIMEOUT)");

  po::options_description auth("Credentials (for the relay or the identity-aware proxy in front of it)", kHelpWidth, kHelpWidth / 2);
  auth.add_options()
      ("header,H", po::value<std::vector<std::string>>()->value_name("'NAME: VALUE'")->composing(),
       "extra request header (repeatable)")
      ("cookie", po::value<std::vector<std::string>>()->value_name("NAME=VALUE")->composing(),
       "cookie to send (repeatable)")
      ("token-file", po::value<std::string>()->value_name("PATH"),
       "read a token from this file at every connect and reconnect (env SSHRELAY_TOKEN_FILE)")
      ("token-cmd", po::value<std::string>()->value_name("COMMAND"),
       "run COMMAND with /bin/sh -c; its trimmed stdout is the token. Re-run when the token's JWT exp has "
       "passed or the relay refuses it (HTTP 401/403, close 4401) (env SSHRELAY_TOKEN_CMD)")
      ("token-header", po::value<std::string>()->value_name("NAME")->default_value("Authorization"),
       "header for the token: 'Authorization: Bearer TOKEN', or the bare token under any other name, e.g. "
       "cf-access-token (env SSHRELAY_TOKEN_HEADER)")
      ("token-cmd-timeout", po::value<unsigned>()->value_name("SECONDS")->default_value(60),
       "kill --token-cmd if it runs longer (1-3600)")
      ("credentials", po::value<std::string>()->value_name("PATH"),
       "the login 'sshrelay auth' saved, used when no other credential is given and only for the relay it "
       "was made for; default ~/.config/sshrelay/credentials.json (env SSHRELAY_CREDENTIALS)");

  po::options_description tls("TLS (wss://)", kHelpWidth, kHelpWidth / 2);
  tls.add_options()
      ("ca-file", po::value<std::string>()->value_name("PATH"),
       "trust these PEM certificates too (env SSHRELAY_CA_FILE)")
      ("insecure", po::bool_switch(), "do NOT verify the relay's certificate or name (testing only; warns)")
      ("tls-server-name", po::value<std::string>()->value_name("NAME"),
       "name for SNI and certificate checks when it differs from the relay URL's host");

  po::options_description mode("Mode and output", kHelpWidth, kHelpWidth / 2);
  mode.add_options()
      ("listen", po::value<std::string>()->value_name("ADDR:PORT"),
       "accept TCP connections on ADDR:PORT and tunnel each one through its own relay session, instead of "
       "using stdin/stdout")
      ("verbose,v", po::bool_switch(), "progress on stderr: connects, reconnects and downtime, bytes, RTT")
      ("stats-interval", po::value<unsigned>()->value_name("SECONDS")->default_value(5),
       "with -v, print byte counts at most this often (1-3600)")
      ("quiet,q", po::bool_switch(), "print nothing on stderr unless something failed")
      ("help,h", "show this help");

  po::options_description all(kHelpWidth, kHelpWidth / 2);
  all.add(relay).add(auth).add(tls).add(mode);
  return all;
}

unsigned seconds_in_range(const po::variables_map& vm, const char* name, unsigned low, unsigned high) {
  const unsigned value = vm[name].as<unsigned>();
  if (value < low || value > high) {
    throw UsageError("--" + std::string(name) + " " + std::to_string(value) + ": must be between " + std::to_string(low) +
                     " and " + std::to_string(high));
  }
  return value;
}

std::string optional_string(const po::variables_map& vm, const char* name) {
  return vm.count(name) ? vm[name].as<std::string>() : std::string();
}

void reject_control(const std::string& value, const std::string& flag) {
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) throw UsageError(flag + ": contains control characters");
  }
}

}  // namespace

bool ListenAddress::loopback() const {
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address(address, ec);
  return !ec && a.is_loopback();
}

std::string ListenAddress::to_string() const {
  const bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

ListenAddress parse_listen_address(const std::string& text) {
  const std::string flag = "--listen '" + text + "'";
  ListenAddress out;
  std::string port_text = text;
  std::string host;
  if (text.find_first_not_of("0123456789") != std::string::npos) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) throw UsageError(flag + ": expected ADDRESS:PORT, e.g. 127.0.0.1:2222");
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
    throw UsageError(flag + ": bad port '" + port_text + "'");
  }
  out.port = static_cast<std::uint16_t>(port);
  if (host.empty() || host == "localhost") return out;  // 127.0.0.1
  boost::system::error_code bad;
  const auto address = boost::asio::ip::make_address(host, bad);
  if (bad) throw UsageError(flag + ": '" + host + "' is not an IP address (use e.g. 127.0.0.1 or [::1])");
  out.address = address.to_string();
  return out;
}

namespace {

// tcp-dial's --target and tunnel's --to: the local service the command connects to (required).
void local_service(const po::variables_map& vm, const std::string& flag, const char* verb, const char* example, ProxyOptions& o) {
  const std::string text = optional_string(vm, flag.c_str());
  if (text.empty()) {
    throw UsageError("--" + flag + " HOST:PORT is required: the local service to " + verb + ", e.g. " + example);
  }
  auto parsed = parse_target(text, 0);
  if (!parsed || parsed->port == 0) throw UsageError("--" + flag + " '" + text + "': expected HOST:PORT, e.g. " + example);
  o.dial_host = parsed->host;
  o.dial_port = parsed->port;
}

}  // namespace

ProxyCommandLine parse_proxy_command_line(const std::vector<std::string>& args, ProxyCommand command) {
  const bool create = command == ProxyCommand::create;
  const bool auth = command == ProxyCommand::auth;
  const bool tunnel = command == ProxyCommand::tunnel;
  const bool leg = command != ProxyCommand::proxy && !create && !auth && !tunnel;
  po::options_description visible = visible_options();
  po::options_description hidden;
  po::positional_options_description positional;
  if (leg || create || auth || tunnel) {
    visible.add(rendezvous_options(command));
  } else {
    hidden.add_options()("host", po::value<std::string>())("port", po::value<std::string>());
    positional.add("host", 1).add("port", 1);
  }
  po::options_description all;
  all.add(visible).add(hidden);

  po::variables_map vm;
  try {
    const int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    po::store(po::command_line_parser(args).options(all).positional(positional).style(style).run(), vm);
    po::store(po::parse_environment(all,
                                    [rendezvous = leg || create || auth](const std::string& variable) {
                                      const auto& names = environment_names(rendezvous);
                                      const auto it = names.find(variable);
                                      return it == names.end() ? std::string() : it->second;
                                    }),
              vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }

  ProxyCommandLine out;
  if (vm.count("help")) {
    out.help = true;
    return out;
  }
  ProxyOptions& o = out.options;
  o.command = command;

  std::string relay = optional_string(vm, "relay");
  if (relay.empty() && leg) relay = optional_string(vm, "url");
  if (relay.empty() && (create || auth)) {
    // swsrs's --admin-url is http(s)://: the same place as ws(s)://.
    relay = optional_string(vm, "admin-url");
    if (relay.rfind("http://", 0) == 0) relay = "ws://" + relay.substr(7);
    if (relay.rfind("https://", 0) == 0) relay = "wss://" + relay.substr(8);
    while (relay.size() > 8 && relay.back() == '/') relay.pop_back();
    const std::string admin_suffix = "/admin/sessions";
    if (relay.size() > admin_suffix.size() && relay.ends_with(admin_suffix)) relay.resize(relay.size() - admin_suffix.size());
  }
  o.logout = auth && vm["logout"].as<bool>();
  if (relay.empty() && !o.logout) throw UsageError("--relay URL is required (or set SSHRELAY_RELAY)");
  if (!relay.empty()) {
    auto url = client::parse_relay_url(relay);
    if (!url) throw UsageError("--relay: " + url.error().message);
    o.relay = *url;
  }
  o.credentials_path = optional_string(vm, "credentials");
  if (vm.count("credentials") && o.credentials_path.empty()) throw UsageError("--credentials: empty path");

  if (leg) {
    o.rendezvous_id = optional_string(vm, "session");
    o.rendezvous_token = optional_string(vm, "token");
    if (o.rendezvous_id.empty()) throw UsageError("--session ID is required (the id 'sshrelay create' printed)");
    if (o.rendezvous_token.empty()) throw UsageError("--token TOKEN is required (this side's token from 'sshrelay create')");
    reject_control(o.rendezvous_id, "--session");
    reject_control(o.rendezvous_token, "--token");
    if (vm.count("role")) {
      const auto role = vm["role"].as<std::string>();
      if (role != "initiator" && role != "responder") throw UsageError("--role '" + role + "': expected initiator or responder");
    }
    if (command == ProxyCommand::tcp_dial) local_service(vm, "target", "expose", "127.0.0.1:22", o);
    if (command == ProxyCommand::tcp_listen && !vm.count("listen")) o.listen = ListenAddress{};  // swsrs: 127.0.0.1:0
  } else if (auth) {
    o.client_id = optional_string(vm, "client-id");
    reject_control(o.client_id, "--client-id");
    o.issuer = optional_string(vm, "issuer");
    if (!o.issuer.empty() && o.issuer.rfind("https://", 0) != 0) throw UsageError("--issuer '" + o.issuer + "': expected an https:// URL");
    reject_control(o.issuer, "--issuer");
    if (vm.count("scope")) o.scopes = vm["scope"].as<std::vector<std::string>>();
    for (const auto& scope : o.scopes) {
      if (scope.empty() || scope.find_first_of(" \"") != std::string::npos) throw UsageError("--scope '" + scope + "': one scope, no spaces or quotes");
      reject_control(scope, "--scope");
    }
    if (vm.count("listen")) throw UsageError("--listen belongs to tcp-listen");
  } else if (tunnel) {
    local_service(vm, "to", "share", "127.0.0.1:3000", o);
    o.tunnel_streams = !vm["no-streams"].as<bool>();
    o.tunnel_stable_subdomain = vm["stable-subdomain"].as<bool>();
    if (vm.count("listen")) throw UsageError("--listen belongs to tcp-listen (a tunnel's port is the relay's)");
  } else if (create) {
    o.ttl = optional_string(vm, "ttl");
    o.output = vm["output"].as<std::string>();
    if (o.output != "json" && o.output != "env" && o.output != "text") {
      throw UsageError("--output '" + o.output + "': expected json, env or text");
    }
    o.bearer_token = optional_string(vm, "oidc-token");
    reject_control(o.bearer_token, "--oidc-token");
    if (vm.count("listen")) throw UsageError("--listen belongs to tcp-listen");
  } else {
    if (!vm.count("host") || !vm.count("port")) {
      throw UsageError("expected HOST and PORT, the target for the relay to dial (%h %p in a ProxyCommand)");
    }
    auto host = normalize_host(vm["host"].as<std::string>());
    if (!host) throw UsageError("HOST '" + vm["host"].as<std::string>() + "': " + host.error().message);
    o.host = *host;
    auto port = parse_port(vm["port"].as<std::string>());
    if (!port) throw UsageError("PORT '" + vm["port"].as<std::string>() + "': " + port.error().message);
    o.port = *port;
  }
  o.user = optional_string(vm, "user");
  reject_control(o.user, "--user");
  o.origin = optional_string(vm, "origin");
  reject_control(o.origin, "--origin");

  const auto shape = vm["shape"].as<std::string>();
  if (leg && shape != "v4") throw UsageError("--shape: a rendezvous leg is always v4 (it resumes)");
  if (shape == "relay") {
    o.shape = client::RelayShape::raw;
  } else if (shape != "v4") {
    throw UsageError("--shape '" + shape + "': expected v4 or relay");
  }
  o.connect_timeout = std::chrono::seconds(seconds_in_range(vm, "connect-timeout", 1, 600));
  o.reconnect_timeout = std::chrono::seconds(seconds_in_range(vm, "reconnect-timeout", 0, 86400));
  o.token_cmd_timeout = std::chrono::seconds(seconds_in_range(vm, "token-cmd-timeout", 1, 3600));
  o.stats_interval = std::chrono::seconds(seconds_in_range(vm, "stats-interval", 1, 3600));

  if (vm.count("header")) {
    for (const auto& text : vm["header"].as<std::vector<std::string>>()) {
      auto header = parse_header_flag(text);
      if (!header) throw UsageError(header.error().message);
      o.headers.push_back(std::move(*header));
    }
  }
  if (vm.count("cookie")) {
    auto cookie = cookie_header(vm["cookie"].as<std::vector<std::string>>());
    if (!cookie) throw UsageError(cookie.error().message);
    o.headers.push_back(std::move(*cookie));
  }
  o.token_file = optional_string(vm, "token-file");
  o.token_cmd = optional_string(vm, "token-cmd");
  if (!o.token_file.empty() && !o.token_cmd.empty()) {
    throw UsageError("--token-file and --token-cmd cannot be used together");
  }
  if (vm.count("token-file") && o.token_file.empty()) throw UsageError("--token-file: empty path");
  if (vm.count("token-cmd") && o.token_cmd.empty()) throw UsageError("--token-cmd: empty command");
  o.token_header = vm["token-header"].as<std::string>();
  if (!is_http_token(o.token_header)) {
    throw UsageError("--token-header '" + o.token_header + "': not a valid header name");
  }

  o.ca_file = optional_string(vm, "ca-file");
  if (vm.count("ca-file") && o.ca_file.empty()) throw UsageError("--ca-file: empty path");
  o.insecure = vm["insecure"].as<bool>();
  o.tls_server_name = optional_string(vm, "tls-server-name");
  reject_control(o.tls_server_name, "--tls-server-name");

  if (vm.count("listen")) {
    if (command == ProxyCommand::tcp_dial || command == ProxyCommand::raw) {
      throw UsageError("--listen belongs to tcp-listen (tcp-dial connects to --target; raw uses stdin/stdout)");
    }
    o.listen = parse_listen_address(vm["listen"].as<std::string>());
  }
  o.verbose = vm["verbose"].as<bool>();
  o.quiet = vm["quiet"].as<bool>();
  if (o.verbose && o.quiet) throw UsageError("-v/--verbose and -q/--quiet cannot be used together");
  return out;
}

std::string proxy_help() {
  std::ostringstream out;
  out << "Usage:\n"
         "  sshrelay proxy [--relay URL] [options] HOST PORT\n"
         "  sshrelay proxy --listen ADDR:PORT [--relay URL] [options] HOST PORT\n"
         "\n"
         "Tunnels one SSH connection to HOST:PORT through an sshrelayd relay (corp-relay-v4 over WebSocket),\n"
         "on stdin/stdout, for OpenSSH's ProxyCommand. A network drop, laptop sleep or relay-side reset is\n"
         "resumed without ssh noticing: sshrelay reconnects with backoff and retransmits every byte the\n"
         "relay has not acknowledged. With --listen, each TCP connection accepted on ADDR:PORT gets its own\n"
         "relay session instead (for tools that cannot use a ProxyCommand).\n"
         "\n"
         "  ssh -o ProxyCommand='sshrelay proxy --relay wss://relay.example.com %h %p' alice@db1\n"
         "\n"
      << visible_options()
      << "\n"
         "Environment: SSHRELAY_RELAY, SSHRELAY_TOKEN_FILE, SSHRELAY_TOKEN_CMD, SSHRELAY_TOKEN_HEADER,\n"
         "SSHRELAY_CA_FILE, SSHRELAY_RECONNECT_TIMEOUT set the options of the same name; flags win.\n"
         "\n"
         "stdout carries nothing but SSH bytes. On stderr: one line when the session ends (suppressed by -q\n"
         "on success), warnings, and progress with -v.\n"
         "\n"
      << exit_codes_help()
      << "  With --listen: 0 after SIGINT/SIGTERM, 1 if ADDR:PORT cannot be listened on; each session's\n"
         "  ending is reported on stderr.\n";
  return out.str();
}

std::string create_help() {
  std::ostringstream out;
  out << "Usage:\n"
         "  sshrelay create --relay URL [--ttl DURATION] [--output json|env|text] [options]\n\n"
         "Mints a rendezvous session on the relay (POST /admin/sessions): an id and two slot tokens, one for\n"
         "each side. Give the responder token to the machine that exposes a service (sshrelay tcp-dial) and\n"
         "the initiator token to whoever connects to it (sshrelay tcp-listen, raw, or the web page). The\n"
         "relay must name you as a rendezvous admin (its policy file's \"rendezvous_admins\"; --dev: anyone).\n\n"
      << visible_options() << create_options() << "\n"
      << exit_codes_help();
  return out.str();
}

std::string auth_help() {
  std::ostringstream out;
  out << "Usage:\n"
         "  sshrelay auth --relay URL [--client-id ID] [--issuer URL] [options]\n"
         "  sshrelay auth --relay URL --token-cmd COMMAND [--token-header NAME]\n"
         "  sshrelay auth --logout\n\n"
         "Logs in to the relay's identity provider once, for the commands after it (create, tcp-dial,\n"
         "tcp-listen, raw, proxy), which use the saved login when given no other credential, and only\n"
         "for the same relay. Two kinds of login:\n"
         "  - an OIDC device login (RFC 8628): sshrelay prints a URL and a code; open the URL anywhere,\n"
         "    enter the code, approve. The issuer and client id come from the relay\n"
         "    (/.well-known/swsrs-config) unless given. The token is renewed with its refresh token.\n"
         "  - --token-cmd: a command that prints a token (Cloudflare Access: 'cloudflared access token\n"
         "    -app=https://relay.example.com'; IAP: gcloud), run now to check it and then whenever a token\n"
         "    is needed.\n"
         "The login is saved in --credentials (default ~/.config/sshrelay/credentials.json, mode 0600).\n\n"
      << visible_options() << auth_options() << "\n"
      << exit_codes_help();
  return out.str();
}

std::string tunnel_help() {
  std::ostringstream out;
  out << "Usage:\n"
         "  sshrelay tunnel --relay URL --to HOST:PORT [options]\n\n"
         "Shares the local service HOST:PORT through the relay (its /tunnel, wsproxy's protocol), like ngrok:\n"
         "the relay prints where it is reached, a URL https://<16 hex>.<its tunnel domain> for HTTP and/or a\n"
         "raw TCP port on the relay, and carries every request and connection there to HOST:PORT. It runs\n"
         "until interrupted (Ctrl-C) or the relay ends the tunnel; the URL changes with every run.\n\n"
         "  sshrelay tunnel --relay wss://relay.example.com --to 127.0.0.1:3000\n\n"
      << visible_options() << tunnel_options() << "\n"
      << exit_codes_help();
  return out.str();
}

std::string rendezvous_leg_help(ProxyCommand command) {
  std::ostringstream out;
  out << "Usage:\n";
  switch (command) {
    case ProxyCommand::tcp_dial:
      out << "  sshrelay tcp-dial --relay URL --session ID --token TOKEN --target HOST:PORT [options]\n\n"
             "The host side of a rendezvous: connects the local service HOST:PORT (an sshd behind NAT) to the\n"
             "session's other side through the relay. Nothing listens here: the relay only ever sees this\n"
             "machine dial out.\n";
      break;
    case ProxyCommand::tcp_listen:
      out << "  sshrelay tcp-listen --relay URL --session ID --token TOKEN [--listen ADDR:PORT] [options]\n\n"
             "The client side of a rendezvous: accepts one TCP connection on ADDR:PORT (default 127.0.0.1 and a\n"
             "free port, printed) and carries it to the other side, e.g. ssh -p PORT user@127.0.0.1.\n";
      break;
    default:
      out << "  sshrelay raw --relay URL --session ID --token TOKEN [options]\n\n"
             "stdin/stdout to the other side of a rendezvous (e.g. as an OpenSSH ProxyCommand).\n";
      break;
  }
  out << "\nBoth legs resume after network drops without losing a byte (unlike swsrs).\n\n"
      << visible_options() << rendezvous_options(command) << "\n"
      << exit_codes_help();
  return out.str();
}

}  // namespace sshrelay::cli
