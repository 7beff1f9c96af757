#include "core/session/session_id.hpp"

#include <algorithm>

#include "core/common/base64.hpp"

namespace sshrelay {

Result<std::string> make_session_id(std::span<const std::uint8_t> random_bytes) {
  if (random_bytes.size() < kMinSessionIdRandomBytes) {
    return local_error("session id needs at least " + std::to_string(kMinSessionIdRandomBytes) + " random bytes, got " +
                       std::to_string(random_bytes.size()));
  }
  if (random_bytes.size() > kMaxSessionIdRandomBytes) {
    return local_error("session id takes at most " + std::to_string(kMaxSessionIdRandomBytes) +
                       " random bytes (128 characters), got " + std::to_string(random_bytes.size()));
  }
  return base64url_encode(random_bytes);
}

bool is_valid_session_id(std::string_view text) {
  return text.size() >= kMinSessionIdLength && text.size() <= kMaxSessionIdLength &&
         std::all_of(text.begin(), text.end(), is_base64url_char);
}

}  // namespace sshrelay
