#pragma once
// base64url (RFC 4648 §5) without padding: the alphabet of JWT segments, nassh /cookie v2 fragments and
// session ids.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/result.hpp"

namespace sshrelay {

std::string base64url_encode(std::span<const std::uint8_t> bytes);
std::string base64url_encode(std::string_view bytes);

// Strict on purpose: no '=' padding, no whitespace, no '+' or '/', and the unused low bits of the last
// character must be zero. Every byte string then has exactly one accepted encoding, so a JWT segment or a
// session id cannot be altered without changing its bytes. Errors are protocol errors: the text comes
// from a peer (a token, a URL).
Result<std::vector<std::uint8_t>> base64url_decode(std::string_view text);

// True for the 64 characters of the base64url alphabet.
bool is_base64url_char(char c);

}  // namespace sshrelay
