#include "core/policy/host_policy.hpp"

#include <algorithm>

#include "core/policy/address_class.hpp"
#include "core/policy/target.hpp"

namespace sshrelay {
namespace {

bool is_ip_literal(const std::string& host) {
  if (parse_ipv4(host)) return true;
  return parse_ipv6(std::string_view(host).substr(0, host.find('%'))).has_value();
}

}  // namespace

HostPolicy::HostPolicy(const std::vector<std::string>& names) {
  for (const auto& name : names) {
    if (auto normalized = normalize_host(name)) names_.push_back(std::move(*normalized));
  }
}

bool HostPolicy::answers_to(std::string_view host_header) const {
  if (host_header.empty()) return false;
  // The port plays no part: rebinding changes the name, and a page's port is checked by the origin rule.
  auto target = parse_target(host_header, 1);
  if (!target) return false;
  if (is_ip_literal(target->host) || target->host == "localhost") return true;
  return std::find(names_.begin(), names_.end(), target->host) != names_.end();
}

}  // namespace sshrelay
