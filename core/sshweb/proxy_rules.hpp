#pragma once
// What a `proxy-call` may fetch (docs/sshweb.md), as sshttpd's proxy decides it: an http or https URL
// without a user name, whose `host[:port]` is on the site's `proxy-cache` allow list, and — unless
// `allow-private-ips` — that does not lead into a private or reserved network. The same checks hold for
// every hop of a redirect. The caller resolves names and asks about each address it got before it
// dials one, so a name cannot lead where an address could not.
#include <string_view>

#include "core/common/result.hpp"
#include "core/policy/address_class.hpp"
#include "core/sshweb/proxy_url.hpp"
#include "core/sshweb/site_config.hpp"

namespace sshrelay::sshweb {

// Whether `authority` (`host[:port]` as the URL writes it) is on the allow list: an entry equal to it,
// `*.suffix` when it ends in ".suffix", or `*` unless `deny *` is also there. Case does not matter.
bool origin_allowed(const ProxyCacheConfig& config, std::string_view authority);

// The ranges proxy-call never reaches unless allow-private-ips: this network, RFC 1918, CGNAT,
// loopback, link-local (cloud metadata), IETF assignments, TEST-NETs, benchmarking, multicast, 240/4
// and broadcast; for IPv6 the unspecified and loopback addresses, ULA, site- and link-local, multicast,
// documentation, discard, NAT64 (64:ff9b::/96 whatever it carries, 64:ff9b:1::/48), and any address
// that carries an IPv4 address in such a range (::ffff:127.0.0.1, 6to4, Teredo).
bool is_non_public_address(const Ipv4Bytes& address);
bool is_non_public_address(const Ipv6Bytes& address);
// The same for a numeric address in text ("10.0.0.1", "::1"); false for a name.
bool is_non_public_address(std::string_view numeric);

// The checks made before any network use, in sshttpd's order and words: the scheme ("disallowed URL
// scheme: ftp"), a user name ("URL with userinfo rejected"), the host ("URL missing host"), the allow
// list ("origin not in allowlist: h"), and, unless allow-private-ips, an IP address written in the URL
// ("blocked: URL resolves to non-public address 10.0.0.1"). A redirect's hop (`redirect`) is worded as
// a redirect ("redirect host not in allowlist: h").
Status check_proxy_url(const ProxyCacheConfig& config, const ProxyUrl& url, bool redirect);

// 301, 302, 303, 307 and 308: the statuses a Location is followed for.
bool is_followed_redirect(unsigned status);

}  // namespace sshrelay::sshweb
