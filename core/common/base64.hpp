#pragma once
// RFC 4648 base64 in its two alphabets, each strict (one accepted encoding per byte string):
//   base64url (§5) without padding: JWT segments, nassh /cookie v2 fragments, session ids;
//   base64 (§4) with padding: bodies in wsproxy's tunnel messages (Go's StdEncoding).
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

// The standard alphabet ('+', '/'), padded with '=' to a multiple of 4 characters.
std::string base64_encode(std::span<const std::uint8_t> bytes);
std::string base64_encode(std::string_view bytes);
// As strict as base64url_decode, with the padding required instead of refused.
Result<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace sshrelay
