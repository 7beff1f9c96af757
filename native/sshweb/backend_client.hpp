#pragma once
// The site's HTTP backend, as `api-call` reaches it: one request per call (http:// or https://, the
// system's CAs for https), a deadline over the whole exchange, redirects not followed. Blocking: it runs
// on the connection's own thread (site_server.hpp).
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "core/common/result.hpp"

namespace sshrelay::sshweb {

struct BackendResponse {
  unsigned status = 0;
  std::string body;
};

struct BackendRequest {
  std::string method;
  std::string target;  // path and query, appended to the backend URL's own path
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Errors say what failed in words: "backend unreachable (127.0.0.1:8000): Connection refused",
// "backend timeout after 30 s", ...
Result<BackendResponse> call_backend(const std::string& backend_url, const BackendRequest& request,
                                     std::chrono::milliseconds timeout);

}  // namespace sshrelay::sshweb
