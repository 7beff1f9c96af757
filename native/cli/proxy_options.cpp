#include "native/cli/proxy_options.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/program_options.hpp>

#include <charconv>
#include <map>
#include <sstream>

#include "core/policy/target.hpp"
#include "native/cli/auth_headers.hpp"
#include "native/cli/exit_status.hpp"

namespace sshrelay::cli {
namespace po = boost::program_options;

namespace {

// SSHRELAY_* variables and the options they set; anything else in the environment is ignored.
const std::map<std::string, std::string>& environment_names() {
  static const std::map<std::string, std::string> names = {
      {"SSHRELAY_RELAY", "relay"},
      {"SSHRELAY_TOKEN_FILE", "token-file"},
      {"SSHRELAY_TOKEN_CMD", "token-cmd"},
      {"SSHRELAY_TOKEN_HEADER", "token-header"},
      {"SSHRELAY_CA_FILE", "ca-file"},
      {"SSHRELAY_RECONNECT_TIMEOUT", "reconnect-timeout"},
  };
  return names;
}

constexpr unsigned kHelpWidth = 100;

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
       "kill --token-cmd if it runs longer (1-3600)");

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

ProxyCommandLine parse_proxy_command_line(const std::vector<std::string>& args) {
  po::options_description visible = visible_options();
  po::options_description hidden;
  hidden.add_options()("host", po::value<std::string>())("port", po::value<std::string>());
  po::options_description all;
  all.add(visible).add(hidden);
  po::positional_options_description positional;
  positional.add("host", 1).add("port", 1);

  po::variables_map vm;
  try {
    const int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    po::store(po::command_line_parser(args).options(all).positional(positional).style(style).run(), vm);
    po::store(po::parse_environment(all,
                                    [](const std::string& variable) {
                                      const auto& names = environment_names();
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

  const std::string relay = optional_string(vm, "relay");
  if (relay.empty()) throw UsageError("--relay URL is required (or set SSHRELAY_RELAY)");
  auto url = client::parse_relay_url(relay);
  if (!url) throw UsageError("--relay: " + url.error().message);
  o.relay = *url;

  if (!vm.count("host") || !vm.count("port")) {
    throw UsageError("expected HOST and PORT, the target for the relay to dial (%h %p in a ProxyCommand)");
  }
  auto host = normalize_host(vm["host"].as<std::string>());
  if (!host) throw UsageError("HOST '" + vm["host"].as<std::string>() + "': " + host.error().message);
  o.host = *host;
  auto port = parse_port(vm["port"].as<std::string>());
  if (!port) throw UsageError("PORT '" + vm["port"].as<std::string>() + "': " + port.error().message);
  o.port = *port;
  o.user = optional_string(vm, "user");
  reject_control(o.user, "--user");
  o.origin = optional_string(vm, "origin");
  reject_control(o.origin, "--origin");

  const auto shape = vm["shape"].as<std::string>();
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

  if (vm.count("listen")) o.listen = parse_listen_address(vm["listen"].as<std::string>());
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

}  // namespace sshrelay::cli
