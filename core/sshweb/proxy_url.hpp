#pragma once
// The URL of a `proxy-call GET URL` (docs/sshweb.md), taken apart for what decides and makes the
// request: the scheme, whether it carries a user name, the host to resolve, the `host[:port]` that
// allow entries name, and the request target. Also where a redirect's Location leads. Sans-I/O: no name
// is resolved here; proxy_rules.hpp says what may be fetched.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/common/result.hpp"

namespace sshrelay::sshweb {

struct ProxyUrl {
  std::string scheme;         // lower case; any scheme parses (the rules refuse all but http and https)
  bool has_userinfo = false;  // "user@" or "user:password@" before the host
  std::string host;           // lower case: a name, an IPv4 address or an IPv6 address (no brackets)
  std::string authority;      // lower case `host[:port]` as the URL writes it (IPv6 in brackets)
  std::uint16_t port = 0;     // the URL's port, else the scheme's (80, 443)
  std::string target;         // path and query, "/" for none; no fragment; bytes a request line may
                              // not carry (controls, blanks, non-ASCII) percent-encoded
  bool tls() const { return scheme == "https"; }
  // scheme://authority/target: the URL as it will be requested.
  std::string text() const { return scheme + "://" + authority + target; }
};

// Errors start "invalid URL: " and say what is wrong (no scheme, a bad host, a bad port).
Result<ProxyUrl> parse_proxy_url(std::string_view text);

// The URL a Location header sends to, from the URL that answered (RFC 3986 §5.2): an absolute URL as
// it is; "//host/…" with the base's scheme; "/path", "?query" and relative paths ("next", "../up")
// on the base's origin, with dot segments removed. The result is parsed and checked like the first URL.
std::string resolve_location(const ProxyUrl& base, std::string_view location);

}  // namespace sshrelay::sshweb
