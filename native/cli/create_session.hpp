#pragma once
// `sshrelay create`: mints a rendezvous session through the relay's admin API and prints it as JSON (the
// relay's answer, as swsrs prints it), shell variable lines (env) or what to run on each side (text).
#include "native/cli/console.hpp"
#include "native/cli/proxy_options.hpp"

namespace sshrelay::cli {

// Returns the exit code: 0, or 1 when the relay could not be reached or refused (its words are printed).
int run_create(const ProxyOptions& options, Console& console);

}  // namespace sshrelay::cli
