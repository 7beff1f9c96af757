#include "core/gateway/user_name.hpp"

namespace sshrelay::gateway {

bool valid_gateway_user_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxGatewayUserName) return false;
  for (const char c : name) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace sshrelay::gateway
