#include "native/client/tls_context.hpp"

namespace sshrelay::client {
namespace ssl = boost::asio::ssl;

std::shared_ptr<ssl::context> make_client_tls_context(const TlsOptions& options) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  if (options.insecure) {
    ctx->set_verify_mode(ssl::verify_none);
    return ctx;
  }
  ctx->set_default_verify_paths();
  if (!options.ca_file.empty()) ctx->load_verify_file(options.ca_file);
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

}  // namespace sshrelay::client
