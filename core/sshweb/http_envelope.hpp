#pragma once
// The HTTP/1.1 wire form a `proxy-call` answers with over exec (sshttpd's envelope, docs/sshweb.md):
//
//   HTTP/1.1 <code> <reason>\r\n
//   <the upstream's headers, hop-by-hop ones left out>\r\n
//   Content-Length: <body length>\r\n
//   Connection: close\r\n
//   \r\n
//   <body>
//
// The body is whole (an upstream's chunks are joined), so the length is ours and the connection ends
// with it. The companion browser reads this as it would read the upstream's own answer.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sshrelay::sshweb {

// An upstream's answer, as the proxy keeps it.
struct UpstreamResponse {
  unsigned status = 0;
  std::string reason;                                        // as the upstream wrote it ("OK")
  std::vector<std::pair<std::string, std::string>> headers;  // in the upstream's order and spelling
  std::string body;
};

// Connection, Keep-Alive, Proxy-Authenticate, Proxy-Authorization, TE, Trailers, Transfer-Encoding and
// Upgrade (any case): they describe the upstream connection, not the resource.
bool is_hop_by_hop_header(std::string_view name);

std::string http_envelope(const UpstreamResponse& response);

}  // namespace sshrelay::sshweb
