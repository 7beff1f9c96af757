#pragma once
// Time as the core sees it: points and durations on the steady clock, always passed in by the caller.
// Nothing in core/ reads a clock (the core_is_platform_free check enforces it), so every machine runs
// in virtual time under test.
#include <chrono>

namespace sshrelay {

using TimePoint = std::chrono::steady_clock::time_point;
using Duration = std::chrono::milliseconds;

}  // namespace sshrelay
