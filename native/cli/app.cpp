#include "native/cli/app.hpp"

#include <signal.h>

#include <exception>
#include <iostream>
#include <optional>

#include "native/cli/console.hpp"
#include "native/cli/create_session.hpp"
#include "native/cli/dial_leg.hpp"
#include "native/cli/exit_status.hpp"
#include "native/cli/listen_proxy.hpp"
#include "native/cli/login.hpp"
#include "native/cli/proxy_options.hpp"
#include "native/cli/stdio_proxy.hpp"
#include "native/cli/tunnel_command.hpp"

namespace sshrelay::cli {
namespace {

constexpr const char* kVersion = SSHRELAY_VERSION;  // the project's version (native/CMakeLists.txt)

int usage_error(const std::string& message, const std::string& help_command) {
  Console(false, false).error(message);
  std::cerr << "Try '" << help_command << "'.\n";
  return kExitUsage;
}

int run_proxy(const std::vector<std::string>& args) {
  ProxyCommandLine command_line;
  try {
    command_line = parse_proxy_command_line(args);
  } catch (const UsageError& e) {
    return usage_error(e.what(), "sshrelay proxy --help");
  }
  if (command_line.help) {
    std::cout << proxy_help();
    return kExitOk;
  }
  const ProxyOptions& options = command_line.options;
  Console console(options.verbose, options.quiet);
  try {
    return options.listen ? run_listen_proxy(options, console) : run_stdio_proxy(options, console);
  } catch (const UsageError& e) {
    return usage_error(e.what(), "sshrelay proxy --help");
  }
}

std::string command_help(ProxyCommand command) {
  if (command == ProxyCommand::create) return create_help();
  if (command == ProxyCommand::auth) return auth_help();
  if (command == ProxyCommand::tunnel) return tunnel_help();
  return rendezvous_leg_help(command);
}

// The rendezvous commands (swsrs's names): auth, create, tcp-dial, tcp-listen, raw.
int run_rendezvous(ProxyCommand command, const std::string& name, const std::vector<std::string>& args) {
  const std::string help_command = "sshrelay " + name + " --help";
  ProxyCommandLine command_line;
  try {
    command_line = parse_proxy_command_line(args, command);
  } catch (const UsageError& e) {
    return usage_error(e.what(), help_command);
  }
  if (command_line.help) {
    std::cout << command_help(command);
    return kExitOk;
  }
  const ProxyOptions& options = command_line.options;
  Console console(options.verbose, options.quiet);
  try {
    switch (command) {
      case ProxyCommand::create: return run_create(options, console);
      case ProxyCommand::auth: return run_auth(options, console);
      case ProxyCommand::tcp_dial: return run_dial_leg(options, console);
      case ProxyCommand::tcp_listen: return run_listen_proxy(options, console);
      case ProxyCommand::tunnel: return run_tunnel(options, console);
      default: return run_stdio_proxy(options, console);
    }
  } catch (const UsageError& e) {
    return usage_error(e.what(), help_command);
  }
}

std::optional<ProxyCommand> rendezvous_command(const std::string& name) {
  if (name == "auth") return ProxyCommand::auth;
  if (name == "create") return ProxyCommand::create;
  if (name == "tcp-dial") return ProxyCommand::tcp_dial;
  if (name == "tcp-listen") return ProxyCommand::tcp_listen;
  if (name == "raw") return ProxyCommand::raw;
  if (name == "tunnel") return ProxyCommand::tunnel;
  return std::nullopt;
}

}  // namespace

std::string top_level_help() {
  return "sshrelay - SSH through an sshrelayd relay (corp-relay-v4 over WebSocket), resumed across\n"
         "network drops without ssh noticing.\n"
         "\n"
         "Usage:\n"
         "  sshrelay proxy [--relay URL] [options] HOST PORT\n"
         "      stdin/stdout <-> HOST:PORT through the relay: an OpenSSH ProxyCommand\n"
         "  sshrelay proxy --listen ADDR:PORT [--relay URL] [options] HOST PORT\n"
         "      a local TCP port <-> HOST:PORT, one relay session per connection\n"
         "\n"
         "Rendezvous (reach a machine behind NAT through the relay; swsrs's commands and flags):\n"
         "  sshrelay auth --relay URL [--token-cmd COMMAND] | --logout\n"
         "      log in to the relay's identity provider once; the other commands use the saved login\n"
         "  sshrelay create --relay URL [--ttl 1h] [--output json|env|text]\n"
         "      mint a session: an id and a token for each side\n"
         "  sshrelay tcp-dial --relay URL --session ID --token T --target 127.0.0.1:22\n"
         "      the machine to reach: connects its local service to the session\n"
         "  sshrelay tcp-listen --relay URL --session ID --token T [--listen 127.0.0.1:2222]\n"
         "      where you connect from: one local TCP connection to the other side\n"
         "  sshrelay raw --relay URL --session ID --token T\n"
         "      stdin/stdout to the other side\n"
         "\n"
         "Port sharing (wsproxy's tunnels):\n"
         "  sshrelay tunnel --relay URL --to 127.0.0.1:3000\n"
         "      share a local service: the relay prints its URL and raw TCP port\n"
         "\n"
         "  sshrelay help [COMMAND]   this text, or a command's options and exit codes\n"
         "  sshrelay --version\n"
         "\n"
         "Example, in ~/.ssh/config:\n"
         "  Host *.corp.example.com\n"
         "    ProxyCommand sshrelay proxy --relay wss://relay.example.com -l %r %h %p\n"
         "\n"
         "Behind Cloudflare Access:\n"
         "    ProxyCommand sshrelay proxy --relay wss://relay.example.com --token-header cf-access-token \\\n"
         "        --token-cmd 'cloudflared access token -app=https://relay.example.com' %h %p\n"
         "\n"
         "Run 'sshrelay proxy --help' for every option and the exit codes.\n";
}

int run_app(const std::vector<std::string>& args) {
  // Writing to a pipe whose reader is gone must fail with EPIPE, not kill us.
  ::signal(SIGPIPE, SIG_IGN);
  if (args.empty()) {
    std::cerr << top_level_help();
    return kExitUsage;
  }
  const std::string& command = args.front();
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  try {
    if (command == "--help" || command == "-h" || (command == "help" && rest.empty())) {
      std::cout << top_level_help();
      return kExitOk;
    }
    if (command == "help") {
      if (rest.front() == "proxy") {
        std::cout << proxy_help();
        return kExitOk;
      }
      if (auto which = rendezvous_command(rest.front())) {
        std::cout << command_help(*which);
        return kExitOk;
      }
      return usage_error("help: unknown command '" + rest.front() + "'", "sshrelay --help");
    }
    if (command == "--version" || command == "-V") {
      std::cout << "sshrelay " << kVersion << "\n";
      return kExitOk;
    }
    if (command == "proxy") return run_proxy(rest);
    if (auto which = rendezvous_command(command)) return run_rendezvous(*which, command, rest);
    return usage_error("unknown command '" + command + "'", "sshrelay --help");
  } catch (const std::exception& e) {
    Console(false, false).error(std::string("internal error: ") + e.what());
    return kExitRelayError;
  }
}

}  // namespace sshrelay::cli
