#include "core/sshweb/rate_limit.hpp"

#include "core/common/text.hpp"

namespace sshrelay::sshweb {

Result<std::optional<RateLimit>> parse_rate_limit(std::string_view text) {
  const auto lowered = ascii_lower(trim_space(text));
  if (lowered.empty() || lowered == "unlimited") return std::optional<RateLimit>{};
  const auto slash = lowered.find('/');
  const auto bad = [&] {
    return local_error("'" + std::string(text) + "' is not a rate: write N/sec, N/min, N/hour, N/day or unlimited");
  };
  if (slash == std::string::npos) return bad();
  RateLimit limit;
  if (!parse_decimal(std::string_view(lowered).substr(0, slash), limit.count) || limit.count == 0) return bad();
  const auto unit = std::string_view(lowered).substr(slash + 1);
  if (unit == "s" || unit == "sec" || unit == "second") {
    limit.period = std::chrono::seconds(1);
  } else if (unit == "m" || unit == "min" || unit == "minute") {
    limit.period = std::chrono::minutes(1);
  } else if (unit == "h" || unit == "hour") {
    limit.period = std::chrono::hours(1);
  } else if (unit == "d" || unit == "day") {
    limit.period = std::chrono::hours(24);
  } else {
    return bad();
  }
  return std::optional<RateLimit>{limit};
}

std::string rate_limit_text(const std::optional<RateLimit>& limit) {
  if (!limit) return "unlimited";
  const auto seconds = limit->period.count();
  const char* unit = seconds == 1 ? "sec" : seconds == 60 ? "min" : seconds == 3600 ? "hour" : "day";
  return std::to_string(limit->count) + "/" + unit;
}

}  // namespace sshrelay::sshweb
