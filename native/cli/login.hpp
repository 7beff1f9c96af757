#pragma once
// `sshrelay auth`: logs in to the relay's identity provider (an OIDC device login, or a token command
// checked once) and saves the login for the other commands (native/cli/credentials_file.hpp); --logout
// forgets it.
#include "native/cli/console.hpp"
#include "native/cli/proxy_options.hpp"

namespace sshrelay::cli {

// Returns the exit code: 0 when logged in (or out, or when the relay has no login to offer), 1 when the
// provider or relay could not be reached or refused, 6 when the login was denied or expired.
int run_auth(const ProxyOptions& options, Console& console);

}  // namespace sshrelay::cli
