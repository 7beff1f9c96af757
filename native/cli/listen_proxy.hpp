#pragma once
// `sshrelay proxy --listen ADDR:PORT HOST PORT`: a local TCP port for tools that cannot use a
// ProxyCommand. Each accepted connection is tunnelled through its own resumable relay session to
// HOST:PORT (the client library's LocalListener); sessions are independent, so one ending (or failing)
// does not touch the others.
#include "native/cli/console.hpp"
#include "native/cli/proxy_options.hpp"

namespace sshrelay::cli {

// Runs until SIGINT, SIGTERM or SIGHUP, then closes every session (1000) and returns 0, or 1 at once if
// the address cannot be listened on. With -v: "listening on ADDR:PORT", each accepted connection and
// how each session ended; session failures are always printed. Throws UsageError (--ca-file).
int run_listen_proxy(const ProxyOptions& options, Console& console);

}  // namespace sshrelay::cli
