#pragma once
// The wall clock as seconds since the Unix epoch: what JWT exp/iat, saved logins' expiry and the
// metrics' start time are written in. The one place native code reads it that way (core never does).
#include <chrono>
#include <cstdint>

namespace sshrelay {

inline std::int64_t unix_seconds_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The same clock in milliseconds: the cluster directory's record times and the forwarded reconnect's date.
inline std::int64_t unix_millis_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace sshrelay
