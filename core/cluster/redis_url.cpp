#include "core/cluster/redis_url.hpp"

#include "core/common/text.hpp"

namespace sshrelay::cluster {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percent_decoded(std::string_view text, std::string_view what) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    const int high = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
    const int low = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
    if (high < 0 || low < 0) return local_error("bad %-escape in the " + std::string(what));
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

}  // namespace

std::string RedisUrl::redacted() const {
  std::string out = tls ? "rediss://" : "redis://";
  if (!user.empty() || !password.empty()) out += user + (password.empty() ? "" : ":***") + "@";
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  out += ":" + std::to_string(port);
  if (database != 0) out += "/" + std::to_string(database);
  return out;
}

Result<RedisUrl> parse_redis_url(std::string_view text) {
  RedisUrl url;
  constexpr std::string_view kPlain = "redis://";
  constexpr std::string_view kTls = "rediss://";
  if (text.substr(0, kTls.size()) == kTls) {
    url.tls = true;
    text.remove_prefix(kTls.size());
  } else if (text.substr(0, kPlain.size()) == kPlain) {
    text.remove_prefix(kPlain.size());
  } else {
    return local_error("a Redis URL starts with redis:// or rediss:// (TLS)");
  }
  // Credentials end at the last '@' of the authority (an unescaped '@' in a password is common).
  const auto slash = text.find('/');
  std::string_view authority = text.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : text.substr(slash + 1);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const auto userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    const auto colon = userinfo.find(':');
    auto user = percent_decoded(userinfo.substr(0, colon), "user name");
    if (!user) return user.error();
    url.user = std::move(*user);
    if (colon != std::string_view::npos) {
      auto password = percent_decoded(userinfo.substr(colon + 1), "password");
      if (!password) return password.error();
      url.password = std::move(*password);
    }
    if (url.password.empty() && !url.user.empty()) {
      return local_error("the Redis URL names user '" + url.user + "' without a password (redis://user:password@host)");
    }
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return local_error("unclosed '[' in the Redis URL's host");
    url.host = std::string(authority.substr(1, close - 1));
    const auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return local_error("unexpected text after the Redis URL's [host]");
      port_text = rest.substr(1);
      if (port_text.empty()) return local_error("the Redis URL has ':' but no port");
    }
  } else {
    const auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return local_error("the Redis URL has ':' but no port");
    }
  }
  if (url.host.empty()) return local_error("the Redis URL names no host");
  if (!port_text.empty()) {
    unsigned port = 0;
    if (!parse_decimal(port_text, port) || port == 0 || port > 65535) {
      return local_error("the Redis URL's port '" + std::string(port_text) + "' is not a number from 1 to 65535");
    }
    url.port = static_cast<std::uint16_t>(port);
  }
  if (!path.empty()) {
    if (!parse_decimal(path, url.database) || url.database > 15'000) {
      return local_error("the Redis URL's path '/" + std::string(path) + "' is not a database number");
    }
  }
  return url;
}

}  // namespace sshrelay::cluster
