#include "native/cli/auth_headers.hpp"

#include "core/common/text.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace sshrelay::cli {
namespace {

std::string_view trim(std::string_view s) { return trim_ows(s); }

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

Result<Header> parse_header_flag(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    return local_error("--header '" + std::string(text) + "': expected 'Name: value'");
  }
  const auto name = trim(text.substr(0, colon));
  const auto value = trim(text.substr(colon + 1));
  if (!is_http_token(name)) {
    return local_error("--header '" + std::string(text) + "': '" + std::string(name) + "' is not a valid header name");
  }
  if (has_control(value)) {
    return local_error("--header '" + std::string(name) + ": ...': the value contains control characters");
  }
  return Header{std::string(name), std::string(value)};
}

Result<Header> cookie_header(const std::vector<std::string>& cookies) {
  std::string value;
  for (const auto& cookie : cookies) {
    const auto eq = cookie.find('=');
    const std::string_view name = eq == std::string::npos ? std::string_view() : std::string_view(cookie).substr(0, eq);
    if (eq == std::string::npos || !is_http_token(name)) {
      return local_error("--cookie '" + cookie + "': expected NAME=VALUE");
    }
    const std::string_view v = std::string_view(cookie).substr(eq + 1);
    if (has_control(v) || v.find(';') != std::string_view::npos) {
      return local_error("--cookie '" + std::string(name) + "=...': the value contains ';' or control characters");
    }
    if (!value.empty()) value += "; ";
    value += cookie;
  }
  return Header{"Cookie", value};
}

Header token_header(const std::string& header_name, const std::string& token) {
  if (iequals(header_name, "Authorization")) return {header_name, "Bearer " + token};
  return {header_name, token};
}

std::function<void(bool, client::ConnectionOptions::HeadersDone)> token_refresh_hook(std::shared_ptr<TokenSource> tokens,
                                                                                      std::string header_name) {
  return [tokens = std::move(tokens), header_name = std::move(header_name)](bool refused,
                                                                           client::ConnectionOptions::HeadersDone done) {
    tokens->async_get(refused, [header_name, done = std::move(done)](std::string error, std::string token) {
      if (!error.empty()) return done(std::move(error), {});
      done({}, {token_header(header_name, token)});
    });
  };
}

}  // namespace sshrelay::cli
