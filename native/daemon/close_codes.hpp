#pragma once
// WebSocket close codes (design.md §2). The 4xxx ones are shared with existing relays: keep them.
// The close reason (at most 123 bytes) is the only error text the extension's user sees.
#include <cstdint>

namespace sshrelay::daemon::close_code {

inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;
inline constexpr std::uint16_t too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
inline constexpr std::uint16_t service_restart = 1012;
inline constexpr std::uint16_t identity_invalid = 4401;
inline constexpr std::uint16_t denied = 4403;           // origin or target not allowed
inline constexpr std::uint16_t unknown_session = 4404;  // or owner mismatch
inline constexpr std::uint16_t session_cap = 4429;
inline constexpr std::uint16_t dial_failed = 4502;
inline constexpr std::uint16_t port_pool_exhausted = 4503;

}  // namespace sshrelay::daemon::close_code
