#include "native/cli/app.hpp"

#include <signal.h>

#include <exception>
#include <iostream>

#include "native/cli/console.hpp"
#include "native/cli/exit_status.hpp"
#include "native/cli/listen_proxy.hpp"
#include "native/cli/proxy_options.hpp"
#include "native/cli/stdio_proxy.hpp"

namespace sshrelay::cli {
namespace {

#ifdef SSHRELAY_VERSION
constexpr const char* kVersion = SSHRELAY_VERSION;
#else
constexpr const char* kVersion = "0.1.0";
#endif

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
         "  sshrelay help [proxy]     this text, or a subcommand's options and exit codes\n"
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
      return usage_error("help: unknown command '" + rest.front() + "'", "sshrelay --help");
    }
    if (command == "--version" || command == "-V") {
      std::cout << "sshrelay " << kVersion << "\n";
      return kExitOk;
    }
    if (command == "proxy") return run_proxy(rest);
    return usage_error("unknown command '" + command + "'", "sshrelay --help");
  } catch (const std::exception& e) {
    Console(false, false).error(std::string("internal error: ") + e.what());
    return kExitRelayError;
  }
}

}  // namespace sshrelay::cli
