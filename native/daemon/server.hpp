#pragma once
// The daemon as a whole: listeners, worker threads, signals and graceful shutdown.
#include "native/daemon/config.hpp"

namespace sshrelay::daemon {

// Runs until SIGTERM/SIGINT; returns the process exit code. Throws for startup failures (bind errors,
// unreadable TLS files) with a message naming the cause.
int run_server(const DaemonConfig& config);

}  // namespace sshrelay::daemon
