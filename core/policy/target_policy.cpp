#include "core/policy/target_policy.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/policy/target.hpp"

namespace sshrelay {
namespace {

std::string address_text(const Ipv6Bytes& address) {
  auto text = Cidr{address, 128}.to_string();
  return text.substr(0, text.rfind('/'));
}

bool any_contains(const std::vector<Cidr>& blocks, const Ipv6Bytes& address) {
  return std::any_of(blocks.begin(), blocks.end(), [&](const Cidr& c) { return c.contains(address); });
}

bool port_allowed(const std::vector<PortRange>& ranges, std::uint16_t port) {
  return ranges.empty() || std::any_of(ranges.begin(), ranges.end(), [&](const PortRange& r) { return r.contains(port); });
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

Result<std::vector<PortRange>> parse_port_ranges(std::string_view text) {
  std::vector<PortRange> ranges;
  while (!text.empty()) {
    const auto comma = text.find(',');
    auto item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    const auto dash = item.find('-');
    auto first = parse_port(item.substr(0, dash));
    if (!first) return local_error("port list: " + first.error().message);
    auto last = dash == std::string_view::npos ? first : parse_port(item.substr(dash + 1));
    if (!last) return local_error("port list: " + last.error().message);
    if (*last < *first) return local_error("port range \"" + std::string(item) + "\" ends before it starts");
    ranges.push_back({*first, *last});
  }
  return ranges;
}

bool rule_matches(const PrincipalRule& rule, const PrincipalView& principal) {
  for (const auto& pattern : rule.principals) {
    if (pattern == "*" || pattern == principal.name) return true;
    if (pattern.rfind("*@", 0) == 0 && ends_with(principal.name, pattern.substr(1))) return true;
    if (pattern.rfind("group:", 0) == 0 &&
        std::find(principal.groups.begin(), principal.groups.end(), pattern.substr(6)) != principal.groups.end()) {
      return true;
    }
    if (pattern.rfind("scope:", 0) == 0 &&
        std::find(principal.scopes.begin(), principal.scopes.end(), pattern.substr(6)) != principal.scopes.end()) {
      return true;
    }
  }
  return false;
}

Result<std::vector<PrincipalRule>> parse_principal_rules(std::string_view json_text) {
  auto doc = nlohmann::json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || (!doc.contains("rules") && !doc.contains("rendezvous_admins")) ||
      (doc.contains("rules") && !doc["rules"].is_array())) {
    return local_error("policy file must be a JSON object with a \"rules\" array (or \"rendezvous_admins\")");
  }
  std::vector<PrincipalRule> rules;
  if (!doc.contains("rules")) return rules;
  std::size_t index = 0;
  for (const auto& item : doc["rules"]) {
    const std::string where = "rule " + std::to_string(index++) + ": ";
    if (!item.is_object()) return local_error(where + "must be an object");
    PrincipalRule rule;
    if (!item.contains("principals") || !item["principals"].is_array() || item["principals"].empty()) {
      return local_error(where + "needs a non-empty \"principals\" array");
    }
    for (const auto& p : item["principals"]) {
      if (!p.is_string() || p.get<std::string>().empty()) return local_error(where + "principals must be strings");
      rule.principals.push_back(p.get<std::string>());
    }
    if (!item.contains("allow") || !item["allow"].is_array()) return local_error(where + "needs an \"allow\" array of CIDR blocks");
    for (const auto& block : item["allow"]) {
      if (!block.is_string()) return local_error(where + "allow entries must be strings");
      auto cidr = parse_cidr(block.get<std::string>());
      if (!cidr) return local_error(where + cidr.error().message);
      rule.allow.push_back(*cidr);
    }
    if (item.contains("ports")) {
      if (!item["ports"].is_string()) return local_error(where + "\"ports\" must be a string like \"22,2200-2299\"");
      auto ports = parse_port_ranges(item["ports"].get<std::string>());
      if (!ports) return local_error(where + ports.error().message);
      rule.ports = std::move(*ports);
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

Result<std::vector<std::string>> parse_rendezvous_admins(std::string_view json_text) {
  auto doc = nlohmann::json::parse(json_text, nullptr, false);
  std::vector<std::string> admins;
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("rendezvous_admins")) return admins;
  const auto& list = doc["rendezvous_admins"];
  if (!list.is_array()) return local_error("\"rendezvous_admins\" must be an array of principal patterns");
  for (const auto& p : list) {
    if (!p.is_string() || p.get<std::string>().empty()) {
      return local_error("\"rendezvous_admins\" entries must be non-empty strings like \"group:sre\"");
    }
    admins.push_back(p.get<std::string>());
  }
  return admins;
}

bool TargetPolicy::allowed_by_class(AddressClass kind) const {
  switch (kind) {
    case AddressClass::public_network: return true;
    case AddressClass::private_network: return config_.allow_private;
    case AddressClass::loopback: return config_.allow_loopback;
    default: return false;
  }
}

Status TargetPolicy::check(const Ipv4Bytes& address, std::uint16_t port, const PrincipalView& principal) const {
  return check(map_ipv4(address), port, principal);
}

Status TargetPolicy::check(const Ipv6Bytes& address, std::uint16_t port, const PrincipalView& principal) const {
  const std::string where = address_text(address) + " port " + std::to_string(port);
  // An address that carries IPv4 addresses (6to4, Teredo, SIIT, NAT64, mapped) is judged by each of them:
  // no single class could stand for a Teredo server and client under every setting.
  const auto carried = carried_ipv4(address);
  std::vector<AddressClass> classes;
  for (const auto& v4 : carried) classes.push_back(classify_address(v4));
  if (carried.empty()) classes.push_back(classify_address(address));
  for (const AddressClass kind : classes) {
    if (kind == AddressClass::unspecified || kind == AddressClass::multicast) {
      return local_error(where + " is " + std::string(to_string(kind)) + ", never allowed");
    }
  }
  if (!port_allowed(config_.ports, port)) return local_error(where + ": port not allowed");
  const bool denied = any_contains(config_.deny, address) ||
                      std::any_of(carried.begin(), carried.end(),
                                  [&](const Ipv4Bytes& v4) { return any_contains(config_.deny, map_ipv4(v4)); });
  if (denied) return local_error(where + " is in a denied block");
  if (!config_.allow.empty()) {
    if (!any_contains(config_.allow, address)) return local_error(where + " is not in an allowed block");
    // An allowed block admits what it names, but the built-in denials of the relay's own host and of
    // link-local (cloud metadata) still win: a broad block such as 0.0.0.0/0 must not open them. Loopback
    // opens only with --unsafe-allow-loopback, as in the Python relay.
    for (const AddressClass kind : classes) {
      const bool built_in_deny = kind == AddressClass::link_local ||
                                 (kind == AddressClass::loopback && !config_.allow_loopback);
      if (built_in_deny) return local_error(where + " is " + std::string(to_string(kind)) + ", denied whatever the allow-list says");
    }
  } else {
    for (const AddressClass kind : classes) {
      if (!allowed_by_class(kind)) return local_error(where + " is " + std::string(to_string(kind)) + ", denied by policy");
    }
  }
  if (!config_.rules.empty()) {
    const bool permitted = std::any_of(config_.rules.begin(), config_.rules.end(), [&](const PrincipalRule& rule) {
      return rule_matches(rule, principal) && any_contains(rule.allow, address) && port_allowed(rule.ports, port);
    });
    if (!permitted) return local_error(where + " is not allowed for " + principal.name);
  }
  return Ok{};
}

}  // namespace sshrelay
