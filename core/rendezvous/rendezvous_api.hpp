#pragma once
// The rendezvous service as clients see it, one rule for the daemon, the CLI and the page:
//
//   POST   /admin/sessions            mint a session: {"ttl":"90m"} (optional) -> 201 with both tokens
//   GET    /admin/sessions[/<id>]     status, never tokens
//   DELETE /admin/sessions/<id>       revoke: 204
//   GET    /rendezvous/<id>?token=T                 a resumable leg (corp-relay-v4 framing)
//   GET    /rendezvous/<id>?token=T&sid=S&ack=A     that leg resuming
//   GET    /relay/<id>                              a plain leg, swsrs's data plane (token as Bearer or ?token=)
//
// The admin paths and JSON field names are swsrs's (peers.md §2), so its clients work unchanged. Times
// are passed in (no clock reads): a Status holds steady-clock points and WallClock maps them to UTC.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/common/result.hpp"
#include "core/common/time.hpp"
#include "core/rendezvous/rendezvous_registry.hpp"
#include "core/wire/query.hpp"

namespace sshrelay::rendezvous {

inline constexpr std::string_view kAdminSessionsPath = "/admin/sessions";
inline constexpr std::string_view kLegPathPrefix = "/rendezvous/";
inline constexpr std::string_view kPlainLegPathPrefix = "/relay/";

// A session id or token: 22 characters of base64url (16 random bytes).
bool is_rendezvous_id(std::string_view text);

// The id after `prefix` in `path`, or nothing when the path is not prefix + one id-like segment.
std::optional<std::string> id_after(std::string_view path, std::string_view prefix);

std::string leg_connect_target(std::string_view path_prefix, std::string_view id, std::string_view token);
std::string leg_resume_target(std::string_view path_prefix, std::string_view id, std::string_view token,
                              std::string_view leg_sid, std::uint64_t ack);

// The web page's invitation link: <page>/#invite=<id>.<token> (a fragment, so the token never reaches a
// server log). web/client/invitation.js reads it.
std::string invitation_link(std::string_view page_url, std::string_view id, std::string_view initiator_token);

// What a leg's request asks for. The token comes from ?token= or, for plain legs, Authorization: Bearer
// (the caller passes that header's token, if any).
struct LegRequest {
  std::string id;
  std::string token;
  std::optional<std::string> resume_sid;  // resumable legs only
  std::uint64_t resume_ack = 0;
};
// Errors are protocol errors naming what is wrong ("no session token", "ack=: not decimal digits").
Result<LegRequest> parse_leg_request(std::string_view id, const QueryParams& params, std::string_view bearer_token,
                                     bool resumable);

// Go's duration syntax, as swsrs's flags and our --rendezvous-* settings take it: "90m", "1h30m", "45s",
// "1.5h". No sign, at least one unit, at most a year.
Result<Duration> parse_duration(std::string_view text);

// POST /admin/sessions's optional body: empty, or {"ttl":"90m"} / {"ttl_seconds":5400}.
Result<std::optional<Duration>> parse_create_body(std::string_view body);

// Maps the registry's steady-clock points to UTC for the JSON.
struct WallClock {
  TimePoint steady_now;
  std::chrono::system_clock::time_point utc_now;
  std::chrono::system_clock::time_point to_utc(TimePoint t) const;
};
// RFC 3339 in UTC with milliseconds (the audit trail's format): "2026-12-06T13:05:09.123Z".
std::string rfc3339(std::chrono::system_clock::time_point t);

// The create answer (swsrs's fields; *_url only when the relay knows its public base URL).
nlohmann::json created_json(const Created& created, std::string_view public_base_url, const WallClock& clock);
// A status: swsrs's fields, plus the creator and the number of pairings.
nlohmann::json status_json(const Status& status, const WallClock& clock);

}  // namespace sshrelay::rendezvous
