#pragma once
// What `sshrelay auth` leaves behind for the other commands (create, the rendezvous legs, proxy): a
// JSON file holding either an OAuth token from a device login (with what is needed to refresh it), or
// the command that prints a token (Cloudflare Access's `cloudflared access token`, IAP's gcloud). No
// I/O: the CLI reads and writes the file (native/cli/credentials_file.hpp).
//
// The token members are swsrs's (golang.org/x/oauth2's Token: access_token, token_type, refresh_token,
// expiry as RFC 3339), so a swsrs credentials file is read as it is; ours adds where to refresh it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/common/result.hpp"
#include "core/identity/device_login.hpp"

namespace sshrelay {

struct CachedCredentials {
  std::string access_token;
  std::string token_type = "Bearer";
  std::string refresh_token;
  std::optional<std::int64_t> expiry_unix;  // seconds; none: the provider named no lifetime

  // Where the token came from, for refreshing it and for `sshrelay auth --status`.
  std::string issuer;
  std::string token_endpoint;
  std::string client_id;
  std::string relay;  // the relay URL it was made for (informational)

  // Or: a command whose trimmed stdout is the token, and the header it travels in.
  std::string token_command;
  std::string token_header;  // "" = Authorization (as Bearer)

  bool is_command() const { return !token_command.empty(); }
  bool can_refresh() const { return !refresh_token.empty() && !token_endpoint.empty() && !client_id.empty(); }
  // The access token exists and, if it has an expiry, lasts past now + margin.
  bool fresh_at(std::int64_t now_unix, std::int64_t margin_seconds) const;
};

// The credentials a token endpoint grant makes, at `now_unix`: a refresh that returns no new
// refresh_token keeps `previous`'s (RFC 6749 §6 allows either).
CachedCredentials credentials_from_grant(const TokenGrant& grant, std::int64_t now_unix, const LoginEndpoints& endpoints,
                                         const std::string& relay, const std::string& previous_refresh_token = "");

// The file's text (JSON, 2-space indent, trailing newline) and back. Parsing refuses a file holding
// neither an access token nor a command, naming what is wrong.
std::string credentials_to_json(const CachedCredentials& credentials);
Result<CachedCredentials> parse_cached_credentials(std::string_view text);

}  // namespace sshrelay
