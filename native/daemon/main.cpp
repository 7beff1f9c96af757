// sshrelayd: the relay daemon. Configuration errors exit 2 before anything listens.
#include <csignal>
#include <cstdio>
#include <exception>

#include "native/daemon/config.hpp"
#include "native/daemon/server.hpp"

int main(int argc, char** argv) {
  using namespace sshrelay::daemon;
  auto parsed = parse_daemon_config(argc, argv, relay_environment());
  if (auto* help = std::get_if<HelpRequested>(&parsed)) {
    std::fputs(help->text.c_str(), stdout);
    return 0;
  }
  if (auto* error = std::get_if<ConfigError>(&parsed)) {
    std::fprintf(stderr, "sshrelayd: %s\n", error->message.c_str());
    return 2;
  }
  // A write into a connection whose peer is gone raises SIGPIPE unless the call passes MSG_NOSIGNAL.
  // splice(2), which forwards a cluster node's plain connections (cluster/byte_splice.hpp), cannot pass
  // it, and the default action ends the process without a word: a client that vanished at the wrong
  // moment took a forwarding node down. The failed write's EPIPE is handled where it happens.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    auto& config = std::get<DaemonConfig>(parsed);
    config.command_line.assign(argv, argv + argc);  // SIGUSR2 starts a successor the same way
    return run_server(config);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sshrelayd: %s\n", e.what());
    return 1;
  }
}
