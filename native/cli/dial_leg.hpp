#pragma once
// `sshrelay tcp-dial`: the host side of a rendezvous. Connects to the local service (--target, e.g. the
// sshd of a machine behind NAT), then carries that connection over a resumable rendezvous leg.
#include "native/cli/console.hpp"
#include "native/cli/proxy_options.hpp"

namespace sshrelay::cli {

// Returns the exit code (exit_status.hpp): 1 when --target cannot be reached, else the session's.
int run_dial_leg(const ProxyOptions& options, Console& console);

}  // namespace sshrelay::cli
