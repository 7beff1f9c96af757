#pragma once
// The client TLS context for wss:// relays: TLS 1.2+, the system trust store (plus an optional CA file),
// peer verification on unless the user asked for --insecure. Host name checks and SNI are per
// connection (WsTransport), since one context serves every connection to the same relay.
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

namespace sshrelay::client {

struct TlsOptions {
  bool insecure = false;  // --insecure: no certificate or host name verification (testing only)
  std::string ca_file;    // extra PEM trust anchors; empty = system store only
};

// Throws boost::system::system_error if the CA file cannot be loaded.
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const TlsOptions& options);

}  // namespace sshrelay::client
