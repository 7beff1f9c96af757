#pragma once
// From `sshrelay proxy` options to the client library's ConnectionOptions: the relay URL, TLS trust,
// credentials (fixed headers plus the refreshable token), timeouts, the reconnect budget and -v logging.
#include <memory>

#include "native/cli/console.hpp"
#include "native/cli/proxy_options.hpp"
#include "native/cli/token_source.hpp"
#include "native/client/relay_connection.hpp"

namespace sshrelay::cli {

struct ClientSetup {
  client::ConnectionOptions connection;
  // null without --token-file / --token-cmd / a saved login (native/cli/saved_login.hpp); shutdown() before exit
  std::shared_ptr<TokenSource> tokens;
};

// "sshrelay/VERSION": the User-Agent of every request the CLI makes (relay and identity provider).
const char* cli_user_agent();

// Throws UsageError if --ca-file cannot be loaded. Warns loudly about --insecure.
ClientSetup make_client_setup(const ProxyOptions& options, Console& console);

// The credential headers --token-cmd/--token-file/a saved login give, fetched once, blocking (call it
// before the command's own I/O starts): for commands that make one request rather than a session.
Result<client::HeaderList> credential_headers(ClientSetup& setup);

}  // namespace sshrelay::cli
