#pragma once
// The start of virtual time for the core's state-machine tests: an hour past the clock's epoch, so that
// a test can step back from it without underflowing.

#include <chrono>

#include "core/common/time.hpp"

namespace sshrelay::testing {

inline constexpr TimePoint t0{std::chrono::hours(1)};

}  // namespace sshrelay::testing
