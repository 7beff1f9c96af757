#pragma once
// `sshrelay proxy HOST PORT`: the OpenSSH ProxyCommand. stdin/stdout carry the SSH connection through one
// resumable relay session; stdout carries nothing else, ever (fd 1 is pointed at stderr once the SSH
// stream has its own descriptor, so not even a stray library print can corrupt it).
#include "native/cli/console.hpp"
#include "native/cli/proxy_options.hpp"

namespace sshrelay::cli {

// Runs until the session ends; returns the exit code (see exit_status.hpp). Prints the outcome on
// stderr as soon as it is known, while ssh is still there to pass it on. SIGHUP (which ssh sends its
// ProxyCommand on exit), SIGINT and SIGTERM close the session with 1000 and exit 0; so does ssh closing
// its end of our stdout. Throws UsageError for configuration errors found while setting up (--ca-file).
int run_stdio_proxy(const ProxyOptions& options, Console& console);

}  // namespace sshrelay::cli
