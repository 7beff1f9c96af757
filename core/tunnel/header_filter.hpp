#pragma once
// Which headers cross a tunnel, wsproxy's rules (peers.md §1.7):
// - to the tunnel client, a request's headers minus credentials meant for the relay's own site (Cookie,
//   Authorization, Proxy-Authorization, Set-Cookie, X-CSRF-Token, X-XSRF-Token) and minus Host and the
//   framing fields the relay has already applied (and Expect, which it answered); repeated fields joined
//   with ", "; names in Go's canonical form (Content-Type), which is how wsproxy's clients look them up;
// - back to the visitor, at most 100 of the response's headers whose names are RFC 9110 tokens of at most
//   128 characters and whose values are at most 8 KiB with no control characters (nor U+2028/U+2029),
//   minus framing fields (the relay frames the body itself), cookies, and the security and CORS headers
//   that are the relay's to set for its domain.
#include <string>
#include <string_view>

#include "core/tunnel/tunnel_messages.hpp"

namespace sshrelay::tunnel {

inline constexpr std::size_t kMaxResponseHeaders = 100;
inline constexpr std::size_t kMaxResponseHeaderName = 128;
inline constexpr std::size_t kMaxResponseHeaderValue = 8 * 1024;

// "content-type" -> "Content-Type" (Go's textproto.CanonicalMIMEHeaderKey); a name that is not a token
// is returned as it is.
std::string canonical_header_name(std::string_view name);

// `received`: the request's fields in order, repeats included.
HeaderList forwardable_request_headers(const HeaderList& received);

// `given`: the tunnel client's http_response headers.
HeaderList acceptable_response_headers(const HeaderList& given);

// Streams (streamed_http.hpp): the request keeps its fields in order, Host and the body's framing
// included, minus the relay's credentials and every hop-by-hop field (those Connection names too); the
// response is checked as above but keeps its framing and, when `upgraded` (a 101), Upgrade and Connection.
HeaderList streamed_request_headers(const HeaderList& received);
HeaderList streamed_response_headers(const HeaderList& given, bool upgraded);

}  // namespace sshrelay::tunnel
