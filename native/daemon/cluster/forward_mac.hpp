#pragma once
// The internal link's authentication (core/cluster/forward_preamble.hpp says what it covers): the
// HMAC-SHA256 of a forwarded reconnect's line under the cluster secret, and the constant-time check.
#include <optional>
#include <string>
#include <string_view>

#include "core/cluster/forward_preamble.hpp"

namespace sshrelay::daemon {

// The whole line for `preamble`, signed; nothing when OpenSSL fails.
std::optional<std::string> signed_forward_line(const std::string& secret, const cluster::ForwardPreamble& preamble);
// Whether `mac_hex` is the MAC of `encoded_body` under `secret`.
bool forward_mac_matches(const std::string& secret, std::string_view encoded_body, std::string_view mac_hex);
// 16 random bytes in hex (a preamble's nonce); nothing when OpenSSL has no randomness.
std::optional<std::string> random_nonce();

}  // namespace sshrelay::daemon
