#include "core/origin_policy.hpp"

#include <algorithm>
#include <cctype>

namespace sshrelay {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "http://h:p" or "https://h:p" -> "h:p" (with the scheme's default port stripped from neither side:
// browsers omit default ports in both Origin and Host).
std::string_view authority_of(std::string_view origin) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (origin.substr(0, scheme.size()) == scheme) return origin.substr(scheme.size());
  }
  return {};
}

}  // namespace

OriginPolicy::OriginPolicy(std::vector<std::string> allowed) {
  for (auto& origin : allowed) {
    if (origin == "*") any_ = true;
    allowed_.push_back(lower(origin));
  }
}

bool OriginPolicy::allows(std::string_view origin, std::string_view host) const {
  if (origin.empty() || any_) return true;
  const std::string wanted = lower(origin);
  const auto authority = authority_of(wanted);
  if (!authority.empty() && !host.empty() && authority == lower(host)) return true;
  return std::find(allowed_.begin(), allowed_.end(), wanted) != allowed_.end();
}

}  // namespace sshrelay
