#pragma once
// One plain HTTP request to the relay (not a WebSocket): `sshrelay create` minting a rendezvous session
// through the admin API. The same URL, TLS trust, SNI, Origin and credential headers as the relay's
// WebSocket connections (TransportOptions); the whole exchange within connect + handshake timeouts.
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
                                     const std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace sshrelay::client
