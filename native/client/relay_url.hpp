#pragma once
// Where the relay is, which of its endpoints carries a session, and what it is asked to dial:
//   ws://host[:port][/prefix]  or  wss://host[:port][/prefix]
// The request targets themselves are built by the core client session machines (core/wire/v4_url,
// core/wire/raw_relay_request), which the page uses too.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/common/result.hpp"

namespace sshrelay::client {

struct RelayUrl {
  bool tls = false;          // wss
  std::string host;          // for DNS and SNI: IPv6 literals without brackets
  bool host_is_ip = false;   // an IP literal: no SNI, certificate checked against the address
  std::uint16_t port = 0;    // explicit, or 443 (wss) / 80 (ws)
  std::string path_prefix;   // "" or "/some/prefix" (percent-encoded as given, no trailing '/')

  // Value of the Host header: host, bracketed if IPv6, with ":port" unless it is the scheme's default.
  std::string host_header() const;
  // Canonical form, for logs: scheme://host:port/prefix.
  std::string to_string() const;
};

// Accepts only ws/wss URLs with a host, no user info, query or fragment. The error message says what is
// wrong (for the CLI to print).
Result<RelayUrl> parse_relay_url(std::string_view text);

// An http(s):// URL (an identity provider's endpoint, the relay's login configuration) as the place to
// connect (a RelayUrl with tls for https and no prefix) and the request target (path and query, "/" when
// empty). No user info or fragment.
struct WebUrl {
  RelayUrl server;
  std::string target;
};
Result<WebUrl> parse_web_url(std::string_view text);

// Which relay endpoint carries the session.
enum class RelayShape {
  v4,   // /v4/connect: resumable (Secure Shell's corp-relay-v4@google.com)
  raw,  // /relay?host=&port=: plain bytes, as wsproxy and websockify speak; a drop ends the session
};

// The target dialed by the relay, as the connect request names it.
struct TargetSpec {
  std::string host;
  std::uint16_t port = 22;
  std::string user;  // dstUsername: informational for the relay (audit); may be empty
  // Or a rendezvous leg (the relay dials nothing): the session id and this side's slot token.
  std::string rendezvous_id;
  std::string rendezvous_token;
};

}  // namespace sshrelay::client
