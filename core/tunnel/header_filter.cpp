#include "core/tunnel/header_filter.hpp"

#include <algorithm>
#include <array>
#include <span>

#include "core/common/text.hpp"

namespace sshrelay::tunnel {
namespace {

bool listed(std::string_view name, std::span<const std::string_view> names) {
  const auto lower = ascii_lower(name);
  return std::find(names.begin(), names.end(), lower) != names.end();
}

// Lower case, compared after ascii_lower.
constexpr std::array<std::string_view, 11> kRequestDropped = {
    "cookie", "authorization", "proxy-authorization", "set-cookie", "x-csrf-token", "x-xsrf-token",
    // Not in the message at all with wsproxy (Go keeps Host outside the header map and consumes
    // Transfer-Encoding); the body is delivered whole, so these would describe a framing that is gone.
    // Expect: 100-continue was the relay's to answer, and the body has come.
    "host", "transfer-encoding", "te", "trailer", "expect"};

constexpr std::array<std::string_view, 24> kResponseDropped = {
    "connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer", "content-length", "set-cookie",
    "set-cookie2", "access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers",
    "access-control-allow-credentials", "access-control-max-age", "strict-transport-security",
    "content-security-policy", "content-security-policy-report-only", "x-frame-options", "x-content-type-options",
    "x-xss-protection", "public-key-pins", "public-key-pins-report-only", "access-control-expose-headers",
    "proxy-connection"};

// A stream carries the body as it came (its framing with it) and the relay sets the hop-by-hop fields.
constexpr std::array<std::string_view, 13> kStreamedRequestDropped = {
    "cookie", "authorization", "proxy-authorization", "set-cookie", "x-csrf-token", "x-xsrf-token",
    "connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "http2-settings"};
constexpr std::array<std::string_view, 2> kFraming = {"content-length", "transfer-encoding"};
constexpr std::array<std::string_view, 2> kUpgrade = {"upgrade", "connection"};

// Bytes a header value may not hold: C0 controls (tab aside), DEL, and U+2028/U+2029 in UTF-8.
bool acceptable_value(std::string_view value) {
  if (value.size() > kMaxResponseHeaderValue) return false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
    if (c == 0xe2 && i + 2 < value.size() && static_cast<unsigned char>(value[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(value[i + 2]) == 0xa8 || static_cast<unsigned char>(value[i + 2]) == 0xa9)) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string canonical_header_name(std::string_view name) {
  std::string out(name);
  if (!is_http_token(name)) return out;
  bool upper = true;
  for (auto& c : out) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    upper = c == '-';
  }
  return out;
}

HeaderList forwardable_request_headers(const HeaderList& received) {
  HeaderList out;
  for (const auto& [name, value] : received) {
    if (listed(name, kRequestDropped)) continue;
    const auto canonical = canonical_header_name(name);
    const auto same = std::find_if(out.begin(), out.end(), [&](const auto& field) { return field.first == canonical; });
    if (same == out.end()) {
      out.emplace_back(canonical, value);
    } else {
      same->second += ", " + value;
    }
  }
  return out;
}

namespace {

// The response rules, with the fields `kept` exempt from the dropped list.
HeaderList checked_response_headers(const HeaderList& given, std::span<const std::string_view> kept) {
  HeaderList out;
  for (const auto& [name, value] : given) {
    if (out.size() == kMaxResponseHeaders) break;
    if (!is_http_token(name) || name.size() > kMaxResponseHeaderName || !acceptable_value(value)) continue;
    if (listed(name, kResponseDropped) && !listed(name, kept)) continue;
    out.emplace_back(name, value);
  }
  return out;
}

}  // namespace

HeaderList acceptable_response_headers(const HeaderList& given) { return checked_response_headers(given, {}); }

HeaderList streamed_response_headers(const HeaderList& given, bool upgraded) {
  std::vector<std::string_view> kept(kFraming.begin(), kFraming.end());
  if (upgraded) kept.insert(kept.end(), kUpgrade.begin(), kUpgrade.end());
  return checked_response_headers(given, kept);
}

HeaderList streamed_request_headers(const HeaderList& received) {
  // Fields the visitor's Connection names are hop-by-hop too (RFC 9110 §7.6.1).
  std::vector<std::string> named;
  for (const auto& [name, value] : received) {
    if (ascii_lower(name) != "connection") continue;
    for (const auto& token : split_list(value)) named.push_back(ascii_lower(token));
  }
  HeaderList out;
  for (const auto& [name, value] : received) {
    if (listed(name, kStreamedRequestDropped)) continue;
    if (std::find(named.begin(), named.end(), ascii_lower(name)) != named.end()) continue;
    out.emplace_back(name, value);
  }
  return out;
}

}  // namespace sshrelay::tunnel
