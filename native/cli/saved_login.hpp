#pragma once
// The login `sshrelay auth` saved, as the credential of a command given none of its own (no --header,
// --cookie, --token-file, --token-cmd or --oidc-token). Sent only to the relay it was made for: a
// token for one relay is never shown to another. An OAuth login is renewed through its refresh token
// when it has expired or the relay refuses it, and written back; a token command is run as --token-cmd.
#include <optional>
#include <string>

#include "native/cli/console.hpp"
#include "native/cli/proxy_options.hpp"
#include "native/cli/token_source.hpp"

namespace sshrelay::cli {

struct SavedLogin {
  TokenSource::Config tokens;
  std::string header = "Authorization";
  std::string path;  // the credentials file, for messages
};

// nullopt when the command brings its own credential, or there is no saved login for this relay.
// Throws UsageError when --credentials names a missing or unusable file.
std::optional<SavedLogin> saved_login(const ProxyOptions& options, Console& console);

}  // namespace sshrelay::cli
