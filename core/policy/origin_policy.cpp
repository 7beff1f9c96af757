#include "core/policy/origin_policy.hpp"

#include "core/common/text.hpp"

#include <algorithm>
#include <cctype>

namespace sshrelay {
namespace {

// "http://h:p" or "https://h:p" -> "h:p" (browsers omit default ports in both Origin and Host).
std::string_view authority_of(std::string_view origin) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (origin.substr(0, scheme.size()) == scheme) return origin.substr(scheme.size());
  }
  return {};
}

}  // namespace

std::string origin_of(std::string_view scheme, std::string_view host, std::uint16_t port) {
  std::string out = ascii_lower(scheme) + "://";
  const bool v6 = host.find(':') != std::string_view::npos;
  out += v6 ? "[" + ascii_lower(host) + "]" : ascii_lower(host);
  const bool default_port = (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
  if (!default_port) out += ":" + std::to_string(port);
  return out;
}

OriginPolicy::OriginPolicy(OriginPolicyConfig config, HostPolicy hosts)
    : hosts_(std::move(hosts)), require_origin_(config.require_origin) {
  for (auto& origin : config.allowed) {
    if (origin == "*") any_ = true;
    allowed_.push_back(ascii_lower(origin));
  }
  // Behind a TLS proxy the page is https while the relay may listen on plain http: both are its own.
  if (!config.public_host.empty() && config.public_port != 0) {
    for (std::string_view scheme : {"http", "https"}) {
      allowed_.push_back(origin_of(scheme, config.public_host, config.public_port));
    }
  }
}

bool OriginPolicy::allows(std::string_view origin, std::string_view host) const {
  if (origin.empty()) return !require_origin_;
  if (any_) return true;
  const std::string wanted = ascii_lower(origin);
  if (std::find(allowed_.begin(), allowed_.end(), wanted) != allowed_.end()) return true;
  const auto authority = authority_of(wanted);
  return !authority.empty() && authority == ascii_lower(host) && hosts_.answers_to(host);
}

}  // namespace sshrelay
