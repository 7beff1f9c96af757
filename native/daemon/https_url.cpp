#include "native/daemon/https_url.hpp"

#include <boost/url/parse.hpp>

#include "core/common/quote.hpp"

namespace sshrelay::daemon {

namespace {

// The host as a URL writes it: an IPv6 address in brackets.
std::string written_host(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

std::string HttpsUrl::authority() const { return written_host(host) + ":" + std::to_string(port); }

std::string HttpsUrl::host_header() const { return port == 443 ? written_host(host) : authority(); }

Result<HttpsUrl> parse_https_url(std::string_view text, const HttpsUrlRules& rules) {
  const std::string quoted = quote(text);
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return local_error(quoted + " is not a URL");
  const auto& u = *parsed;
  if (u.scheme_id() != boost::urls::scheme::https) return local_error(quoted + " is not an https:// URL");
  if (u.has_userinfo()) return local_error(quoted + ": the URL must not carry user info (credentials go in their own setting)");
  if (u.has_query() && !rules.allow_query) {
    return local_error(quoted + ": the URL must not have a query string (credentials never go in a URL)");
  }
  if (u.has_fragment()) return local_error(quoted + ": the URL must not have a fragment");
  HttpsUrl url;
  url.text = std::string(text);
  switch (u.host_type()) {
    case boost::urls::host_type::name: url.host = u.host_address(); break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6:
      url.host = u.host_address();
      url.host_is_ip = true;
      break;
    default: return local_error(quoted + " has no usable host");
  }
  if (url.host.empty()) return local_error(quoted + " has no host");
  if (u.has_port() && !u.port().empty()) {
    if (u.port_number() == 0) return local_error(quoted + " has a bad port");
    url.port = u.port_number();
  }
  url.target = std::string(u.encoded_path());
  if (url.target.empty() || url.target == "/") url.target = std::string(rules.default_path);
  if (u.has_query()) url.target += "?" + std::string(u.encoded_query());
  return url;
}

}  // namespace sshrelay::daemon
