#pragma once
// The request headers that identify us to the relay, or to the identity-aware proxy in front of it
// (Cloudflare Access, GCP IAP, an OIDC bearer check): fixed ones from --header and --cookie, and a token
// header from --token-file / --token-cmd that is refreshed per connection attempt.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/result.hpp"
#include "native/client/relay_connection.hpp"
#include "native/cli/token_source.hpp"

namespace sshrelay::cli {

using Header = std::pair<std::string, std::string>;

// --header 'Name: value' -> {"Name", "value"}. The name must be an HTTP token, the value free of control
// characters (no header injection); surrounding whitespace is dropped.
Result<Header> parse_header_flag(std::string_view text);

// --cookie NAME=VALUE (repeatable) -> one "Cookie: a=1; b=2" header.
Result<Header> cookie_header(const std::vector<std::string>& cookies);

// How a token travels: `Authorization: Bearer <token>` for the Authorization header (any case), the bare
// token for any other header name (e.g. cf-access-token, x-goog-iap-jwt-assertion).
Header token_header(const std::string& header_name, const std::string& token);

// ConnectionOptions::refresh_headers backed by `tokens`.
std::function<void(bool, client::ConnectionOptions::HeadersDone)> token_refresh_hook(std::shared_ptr<TokenSource> tokens,
                                                                                      std::string header_name);

}  // namespace sshrelay::cli
