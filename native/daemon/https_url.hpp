#pragma once
// The HTTPS URLs the daemons fetch from or post to (JWKS and OIDC discovery, Splunk HEC, PAN-OS User-ID):
// one parser, one rule set. A credential never rides in a URL (it would land in some proxy's access log):
// user info is refused everywhere, and a query only where the caller says a URL may carry one.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/common/result.hpp"

namespace sshrelay::daemon {

struct HttpsUrl {
  std::string text;    // as given: for log lines and errors (it holds no credential, see above)
  std::string host;    // DNS name, IPv4, or IPv6 without brackets
  std::uint16_t port = 443;
  std::string target;  // origin-form request target: the path (at least "/"), then "?query" where allowed
  bool host_is_ip = false;

  // "host:port" (IPv6 bracketed): what logs and errors name.
  std::string authority() const;
  // The Host header: authority() without the default port.
  std::string host_header() const;
};

struct HttpsUrlRules {
  std::string_view default_path = "/";  // the target when the URL's path is empty or "/"
  bool allow_query = false;             // JWKS and discovery URLs may have one; audit URLs never
};

// https://host[:port][/path][?query], within `rules`; never user info or a fragment.
Result<HttpsUrl> parse_https_url(std::string_view text, const HttpsUrlRules& rules = {});

}  // namespace sshrelay::daemon
