#pragma once
// Which browser origins may open a relay WebSocket. Browsers let any page open a socket to any host,
// so the Origin header is what stops a hostile page from driving a user's (cookie-authenticated) relay.
#include <string>
#include <string_view>
#include <vector>

namespace sshrelay {

// The Secure Shell extension, stable and dev builds.
inline constexpr std::string_view kSecureShellOrigin = "chrome-extension://iodihamcpbpeioajjeobimgagajmlibd";
inline constexpr std::string_view kSecureShellDevOrigin = "chrome-extension://algkcnfjnajfhgimadimbjhmpaeohhln";

class OriginPolicy {
 public:
  // `allowed` holds exact origins (scheme://host[:port], compared case-insensitively) or "*".
  explicit OriginPolicy(std::vector<std::string> allowed);

  // `origin` is the request's Origin header (empty when absent: not a browser, so not a CSRF vector);
  // `host` is its Host header: a page served by the relay itself (same host:port) is always allowed.
  bool allows(std::string_view origin, std::string_view host) const;

 private:
  std::vector<std::string> allowed_;
  bool any_ = false;
};

}  // namespace sshrelay
