#pragma once
// One HTTP exchange from sshwebd: `api-call` to the site's backend, and each hop of a `proxy-call`. One
// request per connection (http:// or https://, the system's CAs for https), a deadline over the whole
// exchange, redirects not followed (the proxy follows them itself, checking each hop). Blocking: it runs
// on the connection's own thread (site_server.hpp), with an io_context of its own.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/common/result.hpp"

namespace sshrelay::sshweb {

struct BackendResponse {
  unsigned status = 0;
  std::string reason;                                        // as the server wrote it ("OK")
  std::vector<std::pair<std::string, std::string>> headers;  // in the server's order and spelling
  std::string body;
};

struct BackendRequest {
  std::string method;
  std::string target;  // path and query, appended to the backend URL's own path
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Where an exchange goes.
struct HttpOrigin {
  bool tls = false;
  std::string host;         // a name or an IP address (no brackets): for TLS's name and certificate check
  std::string port;         // decimal
  std::string host_header;  // what `Host:` says: host[:port] as the URL writes it
  std::vector<std::string> addresses;  // numeric addresses to dial, in order; empty: resolve `host`
};

struct ExchangeLimits {
  std::chrono::steady_clock::time_point deadline;
  std::chrono::milliseconds timeout;          // the whole allowance, for "timeout after N s"
  std::optional<std::uint64_t> body_limit;    // none: Beast's default (8 MiB)
  std::uint32_t header_limit = 8 * 1024;
  std::string peer = "backend";               // how errors name the other side
};

// Errors say what failed in words: "<peer> unreachable (127.0.0.1:8000): Connection refused",
// "<peer> timeout after 30 s", "<peer> response exceeded max-size (1024 bytes)", ...
Result<BackendResponse> http_exchange(const HttpOrigin& origin, const BackendRequest& request, const ExchangeLimits& limits);

// api-call's exchange: `request.target` under `backend_url`, `Content-Type: application/json` with a body.
Result<BackendResponse> call_backend(const std::string& backend_url, const BackendRequest& request,
                                     std::chrono::milliseconds timeout);

}  // namespace sshrelay::sshweb
