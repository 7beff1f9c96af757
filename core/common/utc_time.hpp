#pragma once
// Wall-clock instants as text (RFC 3339, UTC), for what leaves the process: the audit trail's
// @timestamp, the rendezvous API's created_at/expires_at, a cached login's expiry. The instant is
// always the caller's; nothing here reads a clock.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sshrelay {

// Milliseconds since the Unix epoch as RFC 3339 UTC with milliseconds: "2024-05-01T12:00:00.123Z".
std::string format_utc_millis(std::int64_t unix_ms);

// RFC 3339 date-time ("2024-05-01T12:00:00Z", "2024-05-01T14:00:00.123456789+02:00"; 't'/'z' in either
// case) as milliseconds since the Unix epoch; fractions past milliseconds are dropped. nullopt for
// anything else, including out-of-range fields (month 13, second 61).
std::optional<std::int64_t> parse_rfc3339_millis(std::string_view text);

}  // namespace sshrelay
