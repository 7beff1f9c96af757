#pragma once
// The gateway's login names. The name a client logs in with becomes the user name on the remote host,
// so only plain Unix-style names pass: ^[a-zA-Z0-9._-]{1,64}$ (no '@', no '/', no shell metacharacters,
// no control bytes), as ssh-mosh-wan-optimizer checks them (peers.md §4.2). Anything
// else is refused before authentication with SSH disconnect reason 15 and the peer's text.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sshrelay::gateway {

inline constexpr std::size_t kMaxGatewayUserName = 64;

// SSH_DISCONNECT_ILLEGAL_USER_NAME (RFC 4253 §11.1) and the text sent with it.
inline constexpr std::uint32_t kIllegalUserNameReason = 15;
inline constexpr std::string_view kInvalidUserNameText = "Invalid username format";

// 1 to 64 characters, each a letter, digit, '.', '_' or '-' (ASCII only).
bool valid_gateway_user_name(std::string_view name);

}  // namespace sshrelay::gateway
