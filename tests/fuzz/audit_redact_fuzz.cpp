// Audit events (core/audit_event.hpp). Checks:
// - redact_query keeps the path, keeps a query value only after an allow-listed name, writes REDACTED
//   for every other value, for a valueless component that is not an allow-listed name and for a name
//   that does not look like one, and "#REDACTED" for a fragment; it is idempotent;
// - to_json_line never throws whatever bytes the fields hold (invalid UTF-8 included), and its line
//   parses back to a JSON object whose url.original is the redacted path (cut at kMaxAuditPathLength);
// - format_utc_millis gives "YYYY-MM-DDTHH:MM:SS.mmmZ" for the years 0-9999.
//
// Input: the path, then (after a '\n') text for the other string fields; the first 8 bytes also give a
// time.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/audit/audit_event.hpp"
#include "core/common/quote.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace sshrelay::fuzz {
namespace {

constexpr std::array<std::string_view, 9> kKept{"host", "port", "dstUsername", "egressDomain", "ack",
                                                "ext",  "path", "version",     "method"};

bool kept(std::string_view name) { return std::find(kKept.begin(), kKept.end(), name) != kKept.end(); }

void check_redaction(std::string_view path) {
  const std::string redacted = redact_query(path);
  FUZZ_CHECK(redact_query(redacted) == redacted);
  const auto cut = path.find_first_of("?#");
  FUZZ_CHECK(redacted.substr(0, std::min(cut, path.size())) == path.substr(0, cut));
  const auto hash = redacted.find('#');
  if (hash != std::string::npos) {
    const auto fragment = std::string_view(redacted).substr(hash);
    FUZZ_CHECK(fragment == "#" || fragment == "#REDACTED");
  }
  const auto question = redacted.find('?');
  if (question == std::string::npos || (hash != std::string::npos && hash < question)) return;
  std::string_view query = std::string_view(redacted).substr(question + 1, hash == std::string::npos ? hash : hash - question - 1);
  while (true) {
    const auto amp = query.find('&');
    const auto component = query.substr(0, amp);
    const auto equals = component.find('=');
    if (equals == std::string_view::npos) {
      FUZZ_CHECK(component.empty() || kept(component) || component == "REDACTED");
    } else if (!kept(component.substr(0, equals))) {
      FUZZ_CHECK(component.substr(equals + 1) == "REDACTED");
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
}

void check_event(std::string_view path, std::string_view text, std::int64_t time_ms) {
  AuditEvent event;
  event.type = AuditEventType::session_close;
  event.time_ms = time_ms;
  event.path = std::string(path);
  event.principal = event.reason = event.close_reason = event.target = std::string(text);
  event.lost.push_back({std::string(text), 1, 1});
  const std::string line = to_json_line(event);
  FUZZ_CHECK(line.find('\n') == std::string::npos);
  const auto json = nlohmann::json::parse(line, nullptr, false);
  FUZZ_CHECK(json.is_object());
  if (!path.empty()) {
    std::string expected = redact_query(path);
    if (expected.size() > kMaxAuditPathLength) expected = expected.substr(0, kMaxAuditPathLength) + "...";
    const bool ascii = std::all_of(expected.begin(), expected.end(), [](char c) { return (c & 0x80) == 0; });
    if (ascii) FUZZ_CHECK(json["url.original"] == expected);
  }
}

void check_time(std::int64_t time_ms) {
  const std::string text = format_utc_millis(time_ms);
  constexpr std::int64_t kYear10000 = 253402300800000;  // 10000-01-01T00:00:00Z
  if (time_ms < -62167219200000 || time_ms >= kYear10000) return;  // before year 0 or after 9999
  FUZZ_CHECK(text.size() == 24 && text[4] == '-' && text[7] == '-' && text[10] == 'T' && text[13] == ':' &&
             text[16] == ':' && text[19] == '.' && text[23] == 'Z');
}

}  // namespace
}  // namespace sshrelay::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sshrelay;
  using namespace sshrelay::fuzz;
  const std::string_view input = as_text(data, size);
  const auto newline = input.find('\n');
  const std::string_view path = input.substr(0, newline);
  const std::string_view text = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);
  std::int64_t time_ms = 0;
  if (size > 0) std::memcpy(&time_ms, data, std::min<std::size_t>(size, sizeof time_ms));
  check_redaction(path);
  check_event(path, text, time_ms);
  check_time(time_ms);
  const std::string quoted = quote(text);
  FUZZ_CHECK(quoted.size() <= 2 + 80 * 4 + 3);
  for (const char c : quoted) FUZZ_CHECK(c >= 0x20 && c < 0x7f);
  return 0;
}
