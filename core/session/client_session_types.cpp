#include "core/session/client_session_types.hpp"

namespace sshrelay {

std::string describe(const OpenFailure& failure) {
  if (!failure.detail.empty()) return failure.detail;
  if (failure.http_status) return "the relay answered HTTP " + std::to_string(failure.http_status);
  return "the relay could not be reached";
}

ClientOutcome first_open_failed(const OpenFailure& failure) {
  return {failure.http_status ? ClientEnd::refused : ClientEnd::unreachable, 0, {}, failure.http_status,
          describe(failure)};
}

}  // namespace sshrelay
