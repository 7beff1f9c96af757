#include "native/cli/saved_login.hpp"

#include <chrono>
#include <memory>

#include "native/cli/credentials_file.hpp"
#include "native/cli/oauth_client.hpp"
#include "native/common/unix_time.hpp"

namespace sshrelay::cli {
namespace {

// Renew this long before the saved expiry, so a token does not lapse between the check and the relay's.
constexpr std::int64_t kExpiryMarginSeconds = 30;

bool brings_own_credential(const ProxyOptions& o) {
  return !o.headers.empty() || !o.token_file.empty() || !o.token_cmd.empty() || !o.bearer_token.empty();
}

}  // namespace

std::optional<SavedLogin> saved_login(const ProxyOptions& options, Console& console) {
  if (options.command == ProxyCommand::auth || brings_own_credential(options)) return std::nullopt;
  const bool named = !options.credentials_path.empty();
  const std::string path = named ? options.credentials_path : default_credentials_path();
  if (path.empty()) return std::nullopt;
  auto loaded = load_credentials(path);
  if (!loaded) {
    if (named) throw UsageError("--credentials: " + loaded.error().message);
    console.error("WARNING: " + loaded.error().message + " (not used)");
    return std::nullopt;
  }
  if (!*loaded) {
    if (named) throw UsageError("--credentials " + path + ": no saved login there; run 'sshrelay auth --credentials " + path + "'");
    return std::nullopt;
  }
  const CachedCredentials& saved = **loaded;
  const std::string relay = options.relay.to_string();
  if (saved.relay != relay) {
    const std::string line = "the saved login in " + path + " is for " + (saved.relay.empty() ? "no relay" : saved.relay) +
                             ", not " + relay + ": not sent";
    if (named) {
      console.error("WARNING: " + line);
    } else {
      console.progress(line);
    }
    return std::nullopt;
  }
  SavedLogin out;
  out.path = path;
  if (saved.is_command()) {
    out.tokens.command = saved.token_command;
    out.tokens.command_timeout = options.token_cmd_timeout;
    if (!saved.token_header.empty()) out.header = saved.token_header;
    return out;
  }
  auto oauth = std::make_shared<OAuthClient>(options);
  out.tokens.produce = [path, oauth](bool refresh) -> Result<std::string> {
    // Read again each time: another sshrelay may have renewed it meanwhile.
    auto current = load_credentials(path);
    if (!current) return current.error();
    if (!*current) return local_error("the saved login " + path + " is gone; run 'sshrelay auth'");
    const auto now = unix_seconds_now();
    if (!refresh && (*current)->fresh_at(now, kExpiryMarginSeconds)) return (*current)->access_token;
    auto renewed = oauth->refresh(**current, now);
    if (!renewed) return renewed.error();
    if (auto ok = save_credentials(path, *renewed); !ok) return ok.error();
    return renewed->access_token;
  };
  return out;
}

}  // namespace sshrelay::cli
