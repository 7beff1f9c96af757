#pragma once
// Which browser origins may open a relay WebSocket (or read /cookie with CORS). Browsers let any page
// open a socket to any host, so the Origin header is what stops a hostile page from driving a user's
// (cookie-authenticated, or unauthenticated --dev) relay.
//
// Allowed: an origin on the list (or any, with "*"); the relay's own origin, which is
// http(s)://<public host>[:<public port>] from the configuration, or the origin of the very address the
// request came to (Origin and Host name the same host:port) — but only when the Host is one the relay
// answers to (HostPolicy): taking "own" from an arbitrary Host header let DNS rebinding in (issue #10 F5).
//
// No Origin header: browsers send one on every WebSocket handshake and cross-origin fetch, so a request
// without one does not come from a web page and cannot be a page's forgery. Such clients (ssh through
// our CLI — which sends the relay's own origin anyway —, websocat, scripts) are allowed unless the
// operator sets require_origin.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/policy/host_policy.hpp"

namespace sshrelay {

// The Secure Shell extension, stable and dev builds.
inline constexpr std::string_view kSecureShellOrigin = "chrome-extension://iodihamcpbpeioajjeobimgagajmlibd";
inline constexpr std::string_view kSecureShellDevOrigin = "chrome-extension://algkcnfjnajfhgimadimbjhmpaeohhln";

struct OriginPolicyConfig {
  std::vector<std::string> allowed;  // exact origins (scheme://host[:port], any case) or "*"
  std::string public_host;           // the relay's own name, as browsers reach it
  std::uint16_t public_port = 0;     // 0: no configured own origin (only the same-address rule)
  bool require_origin = false;       // refuse requests without an Origin header
};

class OriginPolicy {
 public:
  OriginPolicy(OriginPolicyConfig config, HostPolicy hosts);

  // `origin` is the request's Origin header (empty when absent), `host` its Host header.
  bool allows(std::string_view origin, std::string_view host) const;

 private:
  std::vector<std::string> allowed_;  // lower case, plus the configured own origins
  HostPolicy hosts_;
  bool any_ = false;
  bool require_origin_ = false;
};

// "https://relay.example.com" for (https, relay.example.com, 443), "http://[::1]:8080", ...: the
// origin a browser sends for a page at that address (default ports omitted).
std::string origin_of(std::string_view scheme, std::string_view host, std::uint16_t port);

}  // namespace sshrelay
