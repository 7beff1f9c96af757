#include "core/sshweb/proxy_rules.hpp"

#include "core/common/text.hpp"

namespace sshrelay::sshweb {
namespace {

// 64:ff9b::/96 (RFC 6052): sshttpd refuses the well-known NAT64 prefix whole, whatever it carries.
bool is_nat64_well_known(const Ipv6Bytes& a) {
  if (a[0] != 0x00 || a[1] != 0x64 || a[2] != 0xff || a[3] != 0x9b) return false;
  for (std::size_t i = 4; i < 12; ++i) {
    if (a[i] != 0) return false;
  }
  return true;
}

}  // namespace

bool origin_allowed(const ProxyCacheConfig& config, std::string_view authority) {
  const auto wanted = ascii_lower(authority);
  for (const auto& entry : config.allow) {
    const auto allowed = ascii_lower(entry);
    if (allowed == "*") {
      if (!config.deny_all) return true;
    } else if (allowed == wanted) {
      return true;
    } else if (allowed.starts_with("*.") && wanted.ends_with(std::string_view(allowed).substr(1))) {
      return true;
    }
  }
  return false;
}

bool is_non_public_address(const Ipv4Bytes& address) { return classify_address(address) != AddressClass::public_network; }

bool is_non_public_address(const Ipv6Bytes& address) {
  return is_nat64_well_known(address) || classify_address(address) != AddressClass::public_network;
}

bool is_non_public_address(std::string_view numeric) {
  if (const auto v4 = parse_ipv4(numeric)) return is_non_public_address(*v4);
  if (const auto v6 = parse_ipv6(numeric)) return is_non_public_address(*v6);
  return false;
}

Status check_proxy_url(const ProxyCacheConfig& config, const ProxyUrl& url, bool redirect) {
  const std::string what = redirect ? "redirect to disallowed scheme: " : "disallowed URL scheme: ";
  if (url.scheme != "http" && url.scheme != "https") return local_error(what + url.scheme);
  if (url.has_userinfo) return local_error(redirect ? "redirect with userinfo rejected" : "URL with userinfo rejected");
  if (url.host.empty()) return local_error(redirect ? "redirect without a host" : "URL missing host");
  if (!origin_allowed(config, url.authority)) {
    return local_error((redirect ? "redirect host not in allowlist: " : "origin not in allowlist: ") + url.authority);
  }
  if (!config.allow_private_ips && is_non_public_address(url.host)) {
    return local_error("blocked: URL resolves to non-public address " + url.host);
  }
  return Ok{};
}

bool is_followed_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace sshrelay::sshweb
