#pragma once
// Operational log: one line per event on stderr, with a UTC timestamp and level. (The audit trail a SIEM
// consumes is a separate, structured stream.)
#include <string_view>

namespace sshrelay::daemon {

enum class LogLevel { debug, info, warn, error };

void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
void log(LogLevel level, std::string_view message);

}  // namespace sshrelay::daemon
