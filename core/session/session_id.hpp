#pragma once
// Session ids for /v4/reconnect?sid=: unguessable tokens, because knowing a sid (plus being the same
// principal) is what lets a socket take over a detached session.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/common/result.hpp"

namespace sshrelay {

// 16 bytes = 128 bits, the usual floor for bearer-style tokens.
inline constexpr std::size_t kMinSessionIdRandomBytes = 16;
// 96 bytes encode to 128 characters, the most is_valid_session_id() accepts.
inline constexpr std::size_t kMaxSessionIdRandomBytes = 96;
inline constexpr std::size_t kMinSessionIdLength = 22;
inline constexpr std::size_t kMaxSessionIdLength = 128;

// The core makes no randomness: the caller passes bytes from a CSPRNG (getrandom, crypto.getRandomValues).
// Returns their base64url form; a local error if there are fewer than 16 or more than 96 bytes.
Result<std::string> make_session_id(std::span<const std::uint8_t> random_bytes);

// For the sid= parameter: 22-128 characters of the base64url alphabet. Anything else is refused before it
// is used as a lookup key or written to a log.
bool is_valid_session_id(std::string_view text);

}  // namespace sshrelay
