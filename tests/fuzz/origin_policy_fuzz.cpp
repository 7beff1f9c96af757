// Which browser origins may use the relay (core/origin_policy.hpp, core/host_policy.hpp). Checks:
// - no Origin header is allowed exactly when require_origin is off; "*" allows every origin;
// - the verdict ignores the origin's letter case;
// - an allowed origin is on the list (any case), is one of the relay's own configured origins, or names
//   the very host:port the request came to — and then that Host is one the relay answers to (an IP
//   literal, localhost or a configured name), so a rebound DNS name is never "own" (issue #10 F5);
// - an origin on the list is always allowed;
// - HostPolicy answers only to a Host that parses as a target whose host is an IP literal, localhost
//   or a configured name; origin_of omits exactly the default ports.
//
// Input lines: "allow <origin>", "name <host name>", "public <host> <port>", "require", and queries
// "? <origin> <host>" (a missing word is an empty header).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/policy/address_class.hpp"
#include "core/policy/host_policy.hpp"
#include "core/policy/origin_policy.hpp"
#include "core/policy/target.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace sshrelay::fuzz {
namespace {

std::string with_case(std::string_view text, bool upper) {
  std::string out(text);
  for (auto& c : out) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

bool answered_host(std::string_view host_header, const std::vector<std::string>& names) {
  auto target = parse_target(host_header, 1);
  if (!target) return false;
  const std::string& host = target->host;
  const bool literal = parse_ipv4(host) || parse_ipv6(std::string_view(host).substr(0, host.find('%')));
  const bool named = std::any_of(names.begin(), names.end(), [&](const std::string& name) {
    auto normalized = normalize_host(name);
    return normalized && *normalized == host;
  });
  return literal || host == "localhost" || named;
}

struct Query {
  std::string_view origin, host;
};

}  // namespace
}  // namespace sshrelay::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sshrelay;
  using namespace sshrelay::fuzz;
  OriginPolicyConfig config;
  std::vector<std::string> names;
  std::vector<Query> queries;
  for (auto line : lines_of(as_text(data, size))) {
    if (take_prefix(line, "allow ")) {
      config.allowed.emplace_back(line);
    } else if (take_prefix(line, "name ")) {
      names.emplace_back(line);
    } else if (take_prefix(line, "public ")) {
      const auto space = line.find(' ');
      auto port = parse_port(line.substr(space == std::string_view::npos ? line.size() : space + 1));
      config.public_host = std::string(line.substr(0, space));
      config.public_port = port ? *port : 0;
    } else if (line == "require") {
      config.require_origin = true;
    } else if (take_prefix(line, "?")) {
      if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      const auto space = line.find(' ');
      queries.push_back({line.substr(0, space), space == std::string_view::npos ? "" : line.substr(space + 1)});
    }
  }
  const HostPolicy hosts(names);
  const OriginPolicy policy(config, hosts);
  const bool any = std::find(config.allowed.begin(), config.allowed.end(), "*") != config.allowed.end();
  std::vector<std::string> listed;
  for (const auto& origin : config.allowed) listed.push_back(with_case(origin, false));
  if (!config.public_host.empty() && config.public_port != 0) {
    for (const char* scheme : {"http", "https"}) {
      const std::string own = origin_of(scheme, config.public_host, config.public_port);
      const std::string port_suffix = ":" + std::to_string(config.public_port);
      const bool default_port = config.public_port == (scheme == std::string_view("https") ? 443 : 80);
      FUZZ_CHECK(own.rfind(std::string(scheme) + "://", 0) == 0);
      FUZZ_CHECK((own.size() > port_suffix.size() && own.substr(own.size() - port_suffix.size()) == port_suffix) ==
                 !default_port);
      listed.push_back(own);
    }
  }

  for (const auto& [origin, host] : queries) {
    FUZZ_CHECK(hosts.answers_to(host) == (!host.empty() && answered_host(host, names)));
    const bool allowed = policy.allows(origin, host);
    if (origin.empty()) {
      FUZZ_CHECK(allowed == !config.require_origin);
      continue;
    }
    FUZZ_CHECK(allowed == policy.allows(with_case(origin, true), host));
    FUZZ_CHECK(allowed == policy.allows(with_case(origin, false), host));
    if (any) FUZZ_CHECK(allowed);
    const std::string wanted = with_case(origin, false);
    const bool on_list = std::find(listed.begin(), listed.end(), wanted) != listed.end();
    if (on_list) FUZZ_CHECK(allowed);
    if (allowed && !any && !on_list) {
      const std::string own_host = with_case(host, false);
      FUZZ_CHECK(wanted == "http://" + own_host || wanted == "https://" + own_host);
      FUZZ_CHECK(answered_host(host, names));
    }
  }
  return 0;
}
