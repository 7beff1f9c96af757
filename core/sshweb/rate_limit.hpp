#pragma once
// A tier's rate in the `limits { … }` block: `N/unit` (sec|second|s, min|minute|m, hour|h, day|d), a
// bucket of N tokens refilled N per unit, starting full; `unlimited` (or nothing) for none. One bucket
// per tier per site, shared by every client of the tier; every command costs one token.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/common/result.hpp"

namespace sshrelay::sshweb {

struct RateLimit {
  std::uint32_t count = 0;
  std::chrono::seconds period{1};
  double per_second() const { return static_cast<double>(count) / static_cast<double>(period.count()); }
};

// Nothing for `unlimited`; an error naming the accepted forms for anything else it cannot read
// (sshttpd treats such a value as unlimited, silently: we say so instead).
Result<std::optional<RateLimit>> parse_rate_limit(std::string_view text);
std::string rate_limit_text(const std::optional<RateLimit>& limit);

}  // namespace sshrelay::sshweb
