#pragma once
// When a JWT expires, read without checking its signature: the CLI only needs to know whether a cached
// token from --token-cmd is still worth sending (the relay, or the proxy in front of it, verifies it).
#include <cstdint>
#include <optional>
#include <string_view>

namespace sshrelay::cli {

// The `exp` claim (seconds since the epoch) of a compact JWS "header.payload.signature", or nullopt when
// the token is not such a JWT or has no numeric exp.
std::optional<std::int64_t> jwt_expiry(std::string_view token);

}  // namespace sshrelay::cli
