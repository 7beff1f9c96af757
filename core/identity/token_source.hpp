#pragma once
// Where a request carries its identity token, and picking it out. An identity-aware proxy puts the JWT
// in a header it sets itself (Cloudflare Access: Cf-Access-Jwt-Assertion; GCP IAP:
// x-goog-iap-jwt-assertion); browsers carry it as a cookie (CF_Authorization, or an OIDC session cookie);
// API clients send `Authorization: Bearer`; WebSocket clients that cannot set headers (wsproxy style,
// Clerk) put it in the query (?token=). No I/O: the caller hands over the request's fields.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/result.hpp"

namespace sshrelay {

// What a provider accepts. Sources are tried in this fixed order and the first one present wins:
//   1. each header in `headers`, in order (set by the proxy in front of the relay: the most trusted);
//   2. `Authorization: Bearer <token>` when `bearer`;
//   3. the cookie named `cookie`;
//   4. the query parameter named `query_param`.
// A source that is present but ambiguous (the header, cookie or parameter given twice with different
// values) is an error rather than a guess: a forged duplicate must not get to choose which copy is
// checked.
struct TokenSources {
  std::vector<std::string> headers;  // header names, compared case-insensitively
  bool bearer = false;
  std::string cookie;       // cookie name, case-sensitive (RFC 6265); empty: no cookie
  std::string query_param;  // query parameter name, case-sensitive; empty: none
};

struct HeaderField {
  std::string_view name;
  std::string_view value;
};
struct QueryParam {
  std::string_view name;
  std::string_view value;  // already percent-decoded
};

// The parts of a request a token can be in. Views into the caller's request, which must outlive the call.
struct TokenRequest {
  std::vector<HeaderField> headers;  // every header field, repeats kept (Cookie may repeat in HTTP/2)
  std::vector<QueryParam> query;
};

enum class TokenOrigin { header, bearer, cookie, query };

struct FoundToken {
  std::string token;
  TokenOrigin origin = TokenOrigin::header;
  std::string where;  // e.g. "header Cf-Access-Jwt-Assertion", "cookie CF_Authorization": safe to log
};

// The token from the first source present (see TokenSources). Errors (protocol errors) say which sources
// were looked at, or which one was ambiguous; they never contain header, cookie or parameter values.
Result<FoundToken> find_token(const TokenSources& sources, const TokenRequest& request);

// "header Cf-Access-Jwt-Assertion, cookie CF_Authorization", for messages and the startup log.
std::string describe(const TokenSources& sources);

// Cookie header text (RFC 6265 §4.2.1, read leniently as browsers send it): pairs separated by ';',
// optional whitespace around each pair, name and value split at the first '=', a value wrapped in double
// quotes is unwrapped. Pairs without '=' or with an empty name are dropped. Order and repeats are kept.
std::vector<std::pair<std::string_view, std::string_view>> parse_cookie_header(std::string_view header);

}  // namespace sshrelay
