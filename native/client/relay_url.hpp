#pragma once
// Where the relay is, and the request targets of a v4 session (design.md §2):
//   ws://host[:port][/prefix]  or  wss://host[:port][/prefix]
//   <prefix>/v4/connect?host=H&port=P&dstUsername=U
//   <prefix>/v4/reconnect?sid=S&ack=A
// Query values are percent-encoded with everything but RFC 3986 unreserved characters escaped, so no
// server can read a '+' as a space or a '&' in a user name as a new parameter.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

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

// The target dialed by the relay, as the connect request names it.
struct TargetSpec {
  std::string host;
  std::uint16_t port = 22;
  std::string user;  // dstUsername: informational for the relay (audit); may be empty
};

std::string connect_target(const RelayUrl& relay, const TargetSpec& target);
std::string reconnect_target(const RelayUrl& relay, std::string_view sid, std::uint64_t ack);

// Percent-encodes every byte outside ALPHA / DIGIT / "-" / "." / "_" / "~".
std::string percent_encode_component(std::string_view value);

}  // namespace sshrelay::client
