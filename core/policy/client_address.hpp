#pragma once
// The client's real address when the relay sits behind proxies: X-Forwarded-For is believed only from
// configured trusted proxies (anyone else could write any address into it).
#include <string>
#include <string_view>
#include <vector>

#include "core/policy/cidr.hpp"

namespace sshrelay {

// `peer` is the TCP peer's address text. Walks X-Forwarded-For from the right while the hop is trusted
// and returns the first untrusted address (or the leftmost one if every hop is trusted).
std::string effective_client_address(std::string_view peer, std::string_view forwarded_for,
                                     const std::vector<Cidr>& trusted_proxies);

// The headers front proxies put the client's address in.
struct ProxyHeaders {
  std::string_view cf_connecting_ip;  // CF-Connecting-IP: Cloudflare (and cloudflared) set it, one address
  std::string_view real_ip;           // X-Real-IP: nginx's and Apache's usual `proxy_set_header`, one address
  std::string_view forwarded_for;     // X-Forwarded-For: a list, one hop appended per proxy
};

// From a trusted peer only: CF-Connecting-IP, else X-Real-IP, else the X-Forwarded-For walk above (the
// Python relay's order, which never read X-Real-IP). A value that is not one IP address is ignored. The
// single-address headers are as good as the proxy that sets them: it must overwrite what a client sent
// (Cloudflare, cloudflared and `proxy_set_header X-Real-IP $remote_addr` do); docs/deployment.md.
std::string effective_client_address(std::string_view peer, const ProxyHeaders& headers,
                                     const std::vector<Cidr>& trusted_proxies);

}  // namespace sshrelay
