// sshrelayd: the relay daemon. Configuration errors exit 2 before anything listens.
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
  try {
    auto& config = std::get<DaemonConfig>(parsed);
    config.command_line.assign(argv, argv + argc);  // SIGUSR2 starts a successor the same way
    return run_server(config);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sshrelayd: %s\n", e.what());
    return 1;
  }
}
