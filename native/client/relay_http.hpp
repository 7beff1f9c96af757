#pragma once
// One plain HTTP request (not a WebSocket): to the relay (`sshrelay create` minting a rendezvous session
// through the admin API; `sshrelay auth` reading its login configuration) with the same URL, TLS trust,
// SNI, Origin and credential headers as the relay's WebSocket connections (TransportOptions); or, with
// options.relay naming another server, to the identity provider. The whole exchange within connect +
// handshake timeouts; answers over 1 MiB fail.
#include <boost/beast/http/verb.hpp>
#include <string>
#include <vector>

#include "core/common/result.hpp"
#include "native/client/ws_transport.hpp"

namespace sshrelay::client {

struct HttpReply {
  unsigned status = 0;
  std::string body;
};

// Errors are local errors naming the step that failed (resolve, connect, TLS, the request).
Result<HttpReply> relay_http_request(const TransportOptions& options, boost::beast::http::verb method,
                                     const std::string& target, const std::string& body,
                                     const std::vector<std::pair<std::string, std::string>>& headers,
                                     const std::string& content_type = "application/json");

}  // namespace sshrelay::client
