#pragma once
// The relay's /cookie and /endpoint answers for the Secure Shell extension and ChromeOS Terminal
// (design.md §3). What the clients do with them, from libapps nassh/js:
// - nassh_relay_corp.js (Corp, and Corpv4 which extends it) opens
//   /cookie?ext=<id>&path=html/nassh_google_relay.html, adding &version=2&method=js-redirect with
//   --relay-protocol=v2. nassh_google_relay_html.js then reads location.hash: with an '@' it is v1 and
//   the host/port come from the regex /@([^:]+)(?::(\d+))?/ (the user part is ignored); without one it is
//   v2, atob()+JSON.parse, params.endpoint.split(':') gives [host, port] and params.error is shown to the
//   user. A missing port means --proxy-port, not the relay's real port.
// - With --relay-method=direct (Terminal) it fetches /endpoint and /cookie?version=2&method=direct and
//   expects ")]}'\n" followed by {"endpoint":"host[:port]"} (or {"error":"..."}); the endpoint goes
//   verbatim into "https://<endpoint>/" and "wss://<endpoint>/", where a missing port means 443/80.
//   If that fails it opens a popup on /cookie?version=2&method=close&origin=... so the user can log in,
//   and retries when the popup closes.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/common/result.hpp"

namespace sshrelay {

// The only pages /cookie redirects to (the Python relay's two): anything else would make the relay an
// open redirector into the extension. The relay page is the default.
inline constexpr std::string_view kNasshRelayPagePath = "html/nassh_google_relay.html";
inline constexpr std::string_view kNasshMainPagePath = "html/nassh.html";
// XSSI guard the extension strips before JSON.parse; it rejects bodies without it.
inline constexpr std::string_view kXssiPrefix = ")]}'\n";

struct CookieRequest {
  // Query parameters, already percent-decoded; nullopt when absent.
  std::optional<std::string> ext;
  std::optional<std::string> path;
  std::optional<std::string> version;
  std::optional<std::string> method;
  // Where clients reach the relay (the proxy's public name and port, not the listen address). Always sent
  // with its port: the clients' defaults (--proxy-port, or 443/80) are not necessarily ours.
  std::string public_host;
  std::uint16_t public_port = 443;
  // Authenticated principal, if any. Only the v1 fragment carries it, and the extension ignores it.
  std::optional<std::string> user;
};

// Send the user's tab to url (render_redirect_page(), or a 302).
struct CookieRedirect {
  std::string url;
};
// Reply 200 with body as application/json. The fetch uses credentials: 'include', so the response needs
// Access-Control-Allow-Origin: <the request's Origin> (not "*") and Access-Control-Allow-Credentials: true.
struct CookieJson {
  std::string body;
};
// Reply with render_close_page(): the login popup of the direct flow is done.
struct CookieClose {};

using CookieAnswer = std::variant<CookieRedirect, CookieJson, CookieClose>;

// Validates the query and builds the answer:
// - method absent or "js-redirect": ext must be an extension id, path absent (kNasshRelayPagePath),
//   kNasshRelayPagePath or kNasshMainPagePath; redirect to chrome-extension://<ext>/<path>#<fragment>,
//   fragment v2 base64url({"endpoint":"host:port"}) when version is absent or "2", v1 "user@host:port"
//   when version is "1".
// - method "direct": ")]}'\n{"endpoint":"host:port"}" (IPv6 hosts bracketed). ext/path are optional here
//   (Terminal sends neither) but checked when present.
// - method "close": CookieClose.
// Bad query parameters are protocol errors (answer 400 with render_error_page()); an unusable
// public_host/public_port is a local error (a configuration mistake). The extension's relay page cannot
// parse an IPv6 literal out of either fragment form, so js-redirect refuses IPv6 public hosts.
Result<CookieAnswer> answer_cookie(const CookieRequest& request);

// The /endpoint body: ")]}'\n{"endpoint":"host:port"}". Local error for an invalid host or port 0.
Result<std::string> endpoint_json_body(std::string_view public_host, std::uint16_t public_port);

// ")]}'\n{"error":"..."}": the extension shows the text (for method=direct it then tries to log in again).
std::string error_json_body(std::string_view message);

// Checks the public endpoint once, e.g. at startup, for every /cookie method: a valid DNS name or IPv4
// address (not an IPv6 literal, see answer_cookie) and a non-zero port.
Status validate_public_endpoint(std::string_view public_host, std::uint16_t public_port);

// 32 characters 'a'-'p': how Chrome spells extension ids (also the host of a chrome-extension:// Origin).
bool is_extension_id(std::string_view text);

// A tiny page that navigates to url with location.replace() (no history entry for the relay), with a
// meta refresh for when the script is blocked and a <noscript> link. script_nonce, when not empty, is put
// on the <script> for a Content-Security-Policy 'nonce-...' source.
std::string render_redirect_page(std::string_view url, std::string_view script_nonce = {});

// Closes the login popup of the direct flow (window.close() works on windows a script opened).
std::string render_close_page(std::string_view script_nonce = {});

// A 400 page stating what was wrong; message is HTML-escaped.
std::string render_error_page(std::string_view message);

// Escapes & < > " ' so text is safe in HTML content and quoted attribute values.
std::string html_escape(std::string_view text);

}  // namespace sshrelay
