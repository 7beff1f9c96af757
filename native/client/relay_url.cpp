#include "native/client/relay_url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <charconv>

namespace sshrelay::client {
namespace urls = boost::urls;

std::string RelayUrl::host_header() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) out += ":" + std::to_string(port);
  return out;
}

std::string RelayUrl::to_string() const {
  std::string out = tls ? "wss://" : "ws://";
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  out += ":" + std::to_string(port);
  out += path_prefix;
  return out;
}

Result<RelayUrl> parse_relay_url(std::string_view text) {
  auto parsed = urls::parse_uri(urls::string_view(text.data(), text.size()));
  if (!parsed) {
    return local_error("relay URL '" + std::string(text) + "' is not a valid URL: " + parsed.error().message());
  }
  const urls::url_view& url = *parsed;
  RelayUrl relay;
  const auto scheme = url.scheme_id();
  if (scheme == urls::scheme::wss) {
    relay.tls = true;
  } else if (scheme != urls::scheme::ws) {
    return local_error("relay URL '" + std::string(text) + "' must start with ws:// or wss://");
  }
  if (url.has_userinfo()) return local_error("relay URL '" + std::string(text) + "' must not carry user info");
  if (url.has_query()) return local_error("relay URL '" + std::string(text) + "' must not have a query");
  if (url.has_fragment()) return local_error("relay URL '" + std::string(text) + "' must not have a fragment");

  switch (url.host_type()) {
    case urls::host_type::name:
      relay.host = url.host_name();  // decoded
      break;
    case urls::host_type::ipv4:
      relay.host = url.host_ipv4_address().to_string();
      relay.host_is_ip = true;
      break;
    case urls::host_type::ipv6:
      relay.host = url.host_ipv6_address().to_string();
      relay.host_is_ip = true;
      break;
    default:
      return local_error("relay URL '" + std::string(text) + "' has no usable host");
  }
  if (relay.host.empty()) return local_error("relay URL '" + std::string(text) + "' has no host");

  relay.port = relay.tls ? 443 : 80;
  if (url.has_port()) {
    const auto port_text = url.port();
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return local_error("relay URL '" + std::string(text) + "' has a bad port '" + std::string(port_text) + "'");
    }
    relay.port = static_cast<std::uint16_t>(value);
  }

  std::string path(url.encoded_path());
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (!path.empty() && path.front() != '/') path.insert(path.begin(), '/');
  relay.path_prefix = std::move(path);
  return relay;
}

Result<WebUrl> parse_web_url(std::string_view text) {
  auto parsed = urls::parse_uri(urls::string_view(text.data(), text.size()));
  if (!parsed) return local_error("'" + std::string(text) + "' is not a valid URL: " + parsed.error().message());
  const urls::url_view& url = *parsed;
  const auto scheme = url.scheme_id();
  if (scheme != urls::scheme::https && scheme != urls::scheme::http) {
    return local_error("'" + std::string(text) + "' is not an http(s):// URL");
  }
  if (url.has_fragment()) return local_error("'" + std::string(text) + "' must not have a fragment");
  // The authority alone, as a relay URL, so both kinds of URL share one host and port rule.
  const std::string authority(url.encoded_authority());
  auto server = parse_relay_url((scheme == urls::scheme::https ? "wss://" : "ws://") + authority);
  if (!server) return local_error("'" + std::string(text) + "': " + server.error().message);
  WebUrl out{std::move(*server), std::string(url.encoded_path())};
  if (out.target.empty()) out.target = "/";
  if (url.has_query()) out.target += "?" + std::string(url.encoded_query());
  return out;
}

}  // namespace sshrelay::client
