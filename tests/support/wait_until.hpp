#pragma once
// Waiting for something another process does (a log line, an audit event, a file) without a fixed sleep.

#include <chrono>
#include <functional>

namespace sshrelay::testing {

// Polls `done` every 10 ms until it holds or `timeout` passes; returns its last value.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);

}  // namespace sshrelay::testing
