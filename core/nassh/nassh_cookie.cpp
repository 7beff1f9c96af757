#include "core/nassh/nassh_cookie.hpp"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/common/base64.hpp"
#include "core/common/quote.hpp"
#include "core/policy/target.hpp"

namespace sshrelay {
namespace {

constexpr std::size_t kExtensionIdLength = 32;


// ensure_ascii: the v2 fragment goes through atob(), which yields Latin-1, so non-ASCII must arrive as
// \u escapes. replace: invalid UTF-8 must not throw across the core boundary.
std::string dump_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
}

// A JSON string literal that is also safe inside <script>: "</script>" or "<!--" cannot appear.
std::string script_string_literal(std::string_view text) {
  const std::string json = dump_json(nlohmann::json(std::string(text)));
  std::string out;
  out.reserve(json.size());
  for (const char c : json) {
    switch (c) {
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// RFC 3986 unreserved characters stay, everything else is %XX. This matters for '@': the extension takes
// the first '@' as the end of the user part, so "alice@example.com" must travel as "alice%40example.com".
std::string percent_encode(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out.push_back(c);
    } else {
      char buffer[4];
      std::snprintf(buffer, sizeof buffer, "%%%02X", byte);
      out += buffer;
    }
  }
  return out;
}

std::string script_open_tag(std::string_view nonce) {
  if (nonce.empty()) return "<script>";
  return "<script nonce=\"" + html_escape(nonce) + "\">";
}

// The normalized public host ("relay.example.com", or "2001:db8::1" without brackets), or a local error.
Result<std::string> check_public_endpoint(std::string_view public_host, std::uint16_t public_port) {
  auto host = normalize_host(public_host);
  if (!host) return local_error("public relay endpoint: " + host.error().message);
  if (public_port == 0) return local_error("public relay endpoint: port 0 is out of range 1-65535");
  return host;
}

Status refuse_ipv6_for_fragment(const std::string& host) {
  if (host.find(':') == std::string::npos) return Ok{};
  return local_error("public relay host " + quote(host) +
                     " is an IPv6 literal; the Secure Shell extension's relay page splits the /cookie fragment "
                     "at ':' and cannot use it, so configure a DNS name");
}

enum class Method { js_redirect, direct, close };

Result<Method> parse_method(const std::optional<std::string>& method) {
  if (!method || *method == "js-redirect") return Method::js_redirect;
  if (*method == "direct") return Method::direct;
  if (*method == "close") return Method::close;
  return protocol_error("method " + quote(*method) + " is not supported (use js-redirect, direct or close)");
}

// No version: v2, as the Python relay answers (the extension's page reads either form; only v2 can
// carry an error text).
Result<int> parse_version(const std::optional<std::string>& version) {
  if (!version || *version == "2") return 2;
  if (*version == "1") return 1;
  if (*version == "2") return 2;
  return protocol_error("version " + quote(*version) + " is not supported (use 1 or 2, or leave it out)");
}

Status check_ext(const std::optional<std::string>& ext, bool required) {
  if (!ext) {
    if (required) return protocol_error("ext is missing (the id of the extension to return to)");
    return Ok{};
  }
  if (!is_extension_id(*ext)) {
    return protocol_error("ext " + quote(*ext) + " is not a Chrome extension id (32 letters a-p)");
  }
  return Ok{};
}

Status check_path(const std::optional<std::string>& path) {
  if (path && *path != kNasshRelayPagePath && *path != kNasshMainPagePath) {
    return protocol_error("path " + quote(*path) + " is not allowed (only \"" + std::string(kNasshRelayPagePath) +
                          "\" or \"" + std::string(kNasshMainPagePath) + "\")");
  }
  return Ok{};
}

std::string endpoint_text(const std::string& host, std::uint16_t port) { return Target{host, port}.to_string(); }

std::string endpoint_body(const std::string& host, std::uint16_t port) {
  return std::string(kXssiPrefix) + dump_json(nlohmann::json{{"endpoint", endpoint_text(host, port)}});
}

}  // namespace

bool is_extension_id(std::string_view text) {
  return text.size() == kExtensionIdLength &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= 'a' && c <= 'p'; });
}

Status validate_public_endpoint(std::string_view public_host, std::uint16_t public_port) {
  auto host = check_public_endpoint(public_host, public_port);
  if (!host) return host.error();
  return refuse_ipv6_for_fragment(*host);
}

Result<std::string> endpoint_json_body(std::string_view public_host, std::uint16_t public_port) {
  auto host = check_public_endpoint(public_host, public_port);
  if (!host) return host.error();
  return endpoint_body(*host, public_port);
}

std::string error_json_body(std::string_view message) {
  return std::string(kXssiPrefix) + dump_json(nlohmann::json{{"error", std::string(message)}});
}

Result<CookieAnswer> answer_cookie(const CookieRequest& request) {
  auto method = parse_method(request.method);
  if (!method) return method.error();
  auto version = parse_version(request.version);
  if (!version) return version.error();
  if (auto ext = check_ext(request.ext, *method == Method::js_redirect); !ext) return ext.error();
  if (auto path = check_path(request.path); !path) return path.error();

  if (*method == Method::close) return CookieAnswer{CookieClose{}};

  auto host = check_public_endpoint(request.public_host, request.public_port);
  if (!host) return host.error();
  if (*method == Method::direct) return CookieAnswer{CookieJson{endpoint_body(*host, request.public_port)}};

  if (auto usable = refuse_ipv6_for_fragment(*host); !usable) return usable.error();
  const std::string endpoint = endpoint_text(*host, request.public_port);
  std::string fragment;
  if (*version == 2) {
    fragment = base64url_encode(dump_json(nlohmann::json{{"endpoint", endpoint}}));
  } else {
    fragment = percent_encode(request.user.value_or("")) + "@" + endpoint;
  }
  const std::string page = request.path.value_or(std::string(kNasshRelayPagePath));
  return CookieAnswer{CookieRedirect{"chrome-extension://" + *request.ext + "/" + page + "#" + fragment}};
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string render_redirect_page(std::string_view url, std::string_view script_nonce) {
  const std::string attribute = html_escape(url);
  std::string page;
  page += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  page += "<meta name=\"referrer\" content=\"no-referrer\">\n";
  // One second of grace: the script normally navigates first; the refresh covers a CSP that blocks it.
  page += "<meta http-equiv=\"refresh\" content=\"1;url=" + attribute + "\">\n";
  page += "<title>Returning to Secure Shell</title>\n</head>\n<body>\n";
  page += script_open_tag(script_nonce) + "location.replace(" + script_string_literal(url) + ");</script>\n";
  page += "<noscript><p><a href=\"" + attribute + "\">Continue to Secure Shell</a></p></noscript>\n";
  page += "</body>\n</html>\n";
  return page;
}

std::string render_close_page(std::string_view script_nonce) {
  std::string page;
  page += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  page += "<title>Signed in</title>\n</head>\n<body>\n";
  page += script_open_tag(script_nonce) + "window.close();</script>\n";
  page += "<p>Signed in. You can close this window.</p>\n</body>\n</html>\n";
  return page;
}

std::string render_error_page(std::string_view message) {
  std::string page;
  page += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  page += "<title>Bad request</title>\n</head>\n<body>\n<h1>Bad request</h1>\n";
  page += "<p>" + html_escape(message) + "</p>\n</body>\n</html>\n";
  return page;
}

}  // namespace sshrelay
