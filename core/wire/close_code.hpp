#pragma once
// WebSocket close codes (design.md §2) and the text a close frame carries. The 4xxx codes are shared
// with existing relays: keep them. The close reason is the only error text the Secure Shell
// extension's user sees.
#include <cstdint>
#include <string>
#include <string_view>

namespace sshrelay {
namespace close_code {

inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;  // rendezvous: the other party never came (swsrs's code)
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;
inline constexpr std::uint16_t invalid_payload = 1007;  // e.g. a close reason that is not UTF-8
inline constexpr std::uint16_t policy_violation = 1008;  // rendezvous: the session was revoked (swsrs's code)
inline constexpr std::uint16_t too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
inline constexpr std::uint16_t service_restart = 1012;
// Client -> relay: the user ended the session (sshrelay's CLI, page and extension send it). Any other
// clean close from a v4 client only detaches the session for the grace period, as in the Python relay:
// front proxies close cleanly when they restart, and the session must survive that.
inline constexpr std::uint16_t client_ended = 4000;
inline constexpr std::uint16_t identity_invalid = 4401;
inline constexpr std::uint16_t denied = 4403;           // origin or target not allowed
inline constexpr std::uint16_t unknown_session = 4404;  // or owner mismatch
inline constexpr std::uint16_t unknown_rendezvous = 4405;  // rendezvous: no session by that id
inline constexpr std::uint16_t wrong_token = 4406;      // rendezvous: the token opens no slot of this session
inline constexpr std::uint16_t slot_taken = 4409;       // rendezvous: another party holds this token's slot
inline constexpr std::uint16_t session_expired = 4410;  // rendezvous: past its TTL
inline constexpr std::uint16_t session_cap = 4429;
inline constexpr std::uint16_t dial_failed = 4502;
inline constexpr std::uint16_t port_pool_exhausted = 4503;

}  // namespace close_code

// What a close code from the relay means, in words for the person at the client (the CLI's message,
// the page's headline); empty for a code the relay does not use. Clients show the relay's own reason
// with it: the reason says which origin, target or session.
std::string_view close_code_meaning(std::uint16_t code);

// The HTTP status that refuses a WebSocket upgrade for what this close code says (a refusal before the
// upgrade has no close frame): 4401 -> 401, 4403 -> 403, 4404 and 4405 -> 404, 4406 -> 401 (swsrs's answer to a
// wrong token), 4409 -> 409, 4410 -> 410, 4429 -> 429, 4502 -> 502,
// 4503 and 1012 -> 503, 1011 -> 500; 400 for any other code.
unsigned http_status_for(std::uint16_t code);

// A close frame's reason is at most 123 bytes of UTF-8 (RFC 6455 §5.5.1, §7.1.6). Browsers drop a
// reason that is not valid UTF-8, so the user would see nothing at all.
inline constexpr std::size_t kMaxCloseReasonBytes = 123;

// `reason` made fit for a close frame: every byte that is not part of a well-formed UTF-8 sequence
// (overlong forms, surrogates and code points above U+10FFFF included) becomes '?', and the text is cut
// to at most kMaxCloseReasonBytes on a character boundary, ending in "..." when cut.
std::string close_reason_text(std::string_view reason);

// Whether `text` is well-formed UTF-8 (the same rule close_reason_text applies).
bool is_utf8(std::string_view text);

}  // namespace sshrelay
