#pragma once
// The file `sshrelay auth` writes and the other commands read (core/identity/cached_credentials.hpp):
// by default $XDG_CONFIG_HOME/sshrelay/credentials.json (~/.config/...), or --credentials PATH.
// Written as swsrs writes its own: the folder 0700, the file 0600, through a temporary file renamed
// over the old one, so a reader never sees half a file and nobody else can read the token.
#include <optional>
#include <string>

#include "core/common/result.hpp"
#include "core/identity/cached_credentials.hpp"

namespace sshrelay::cli {

// The default path; "" when neither XDG_CONFIG_HOME nor HOME is set.
std::string default_credentials_path();

// nullopt when the file does not exist; an error naming the file when it cannot be read or parsed.
Result<std::optional<CachedCredentials>> load_credentials(const std::string& path);
Status save_credentials(const std::string& path, const CachedCredentials& credentials);
// Ok(true) when a file was removed, Ok(false) when there was none.
Result<bool> remove_credentials(const std::string& path);

}  // namespace sshrelay::cli
