#include "core/sshweb/proxy_url.hpp"

#include <vector>

#include "core/common/text.hpp"
#include "core/policy/address_class.hpp"

namespace sshrelay::sshweb {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
bool is_scheme(std::string_view text) {
  if (text.empty() || !is_alpha(text[0])) return false;
  for (const char c : text) {
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

// A DNS name or a dotted quad. Percent-encoded and international names are refused: write the
// punycode form.
bool is_host_name(std::string_view text) {
  for (const char c : text) {
    if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.' && c != '_' && c != '~') return false;
  }
  return true;
}

// The request line carries the target as it is, so nothing in it may end the line or the target.
std::string request_target(std::string_view raw) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = raw.empty() || raw[0] == '?' ? "/" : "";
  for (const char c : raw) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0f];
    } else {
      out += c;
    }
  }
  return out;
}

// RFC 3986 §5.2.4 for an absolute path: "." and ".." segments go, and ".." never climbs above "/".
std::string without_dot_segments(std::string_view path) {
  std::vector<std::string_view> kept;
  std::size_t start = path.starts_with("/") ? 1 : 0;
  while (true) {
    const auto slash = path.find('/', start);
    const auto segment = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    const bool last = slash == std::string_view::npos;
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
      if (last) kept.emplace_back();  // "/a/.." is the folder "/"
    } else if (segment == ".") {
      if (last) kept.emplace_back();
    } else {
      kept.push_back(segment);
    }
    if (last) break;
    start = slash + 1;
  }
  std::string out;
  for (const auto& segment : kept) out += "/" + std::string(segment);
  return out.empty() ? "/" : out;
}

}  // namespace

Result<ProxyUrl> parse_proxy_url(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || !is_scheme(text.substr(0, colon))) {
    return local_error("invalid URL: '" + std::string(text) + "' has no scheme (write http://host/path)");
  }
  ProxyUrl url;
  url.scheme = ascii_lower(text.substr(0, colon));
  auto rest = text.substr(colon + 1);
  rest = rest.substr(0, rest.find('#'));  // the fragment is the client's: never sent
  std::string_view authority;
  if (rest.starts_with("//")) {
    rest.remove_prefix(2);
    const auto end = rest.find_first_of("/?");
    authority = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    url.has_userinfo = true;
    authority = authority.substr(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return local_error("invalid URL: '[' without ']' in the host");
    host = authority.substr(1, close - 1);
    if (!parse_ipv6(host)) return local_error("invalid URL: '" + std::string(host) + "' is not an IPv6 address");
    const auto after = authority.substr(close + 1);
    if (!after.empty() && after[0] != ':') return local_error("invalid URL: bad host '" + std::string(authority) + "'");
    has_port = !after.empty();
    if (has_port) port = after.substr(1);
  } else {
    if (const auto c = authority.find(':'); c != std::string_view::npos) {
      host = authority.substr(0, c);
      port = authority.substr(c + 1);
      has_port = true;
    }
    if (!is_host_name(host)) return local_error("invalid URL: bad host '" + std::string(host) + "'");
  }
  url.port = url.scheme == "https" ? 443 : url.scheme == "http" ? 80 : 0;
  if (has_port && !port.empty()) {  // "host:" is the scheme's port (RFC 3986 §3.2.3)
    std::uint32_t number = 0;
    if (!parse_decimal(port, number) || number == 0 || number > 65535) {
      return local_error("invalid URL: bad port '" + std::string(port) + "'");
    }
    url.port = static_cast<std::uint16_t>(number);
  }
  url.host = ascii_lower(host);
  url.authority = ascii_lower(authority);
  url.target = request_target(rest);
  return url;
}

std::string resolve_location(const ProxyUrl& base, std::string_view location) {
  location = trim_space(location);
  const auto colon = location.find(':');
  const auto delimiter = location.find_first_of("/?#");
  if (colon != std::string_view::npos && colon < delimiter && is_scheme(location.substr(0, colon))) {
    return std::string(location);
  }
  if (location.starts_with("//")) return base.scheme + ":" + std::string(location);
  const auto tail_at = location.find_first_of("?#");
  const auto path = location.substr(0, tail_at);
  auto tail = tail_at == std::string_view::npos ? std::string_view() : location.substr(tail_at);
  const std::string_view base_target = base.target;
  const auto base_query_at = base_target.find('?');
  const auto base_path = base_target.substr(0, base_query_at);
  std::string merged;
  if (path.empty()) {
    merged = std::string(base_path);
    // "" and "#frag" keep the base's query; "?q" replaces it.
    if (!tail.starts_with("?") && base_query_at != std::string_view::npos) merged += base_target.substr(base_query_at);
  } else if (path.starts_with("/")) {
    merged = without_dot_segments(path);
  } else {
    const auto folder = base_path.substr(0, base_path.rfind('/') + 1);
    merged = without_dot_segments(std::string(folder) + std::string(path));
  }
  return base.scheme + "://" + base.authority + merged + std::string(tail);
}

}  // namespace sshrelay::sshweb
