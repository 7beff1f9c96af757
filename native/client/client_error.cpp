#include "native/client/client_error.hpp"

#include <string>

namespace sshrelay::client {
namespace {

class ClientCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "sshrelay.client"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::bad_relay_url: return "bad relay URL";
      case errc::upgrade_refused: return "the relay refused the WebSocket upgrade";
      case errc::subprotocol_not_echoed: return "the relay did not accept the WebSocket subprotocol";
      case errc::protocol_error: return "the relay broke the protocol";
      case errc::transport_lost: return "the connection to the relay dropped (this endpoint does not resume)";
      case errc::lost_before_connect: return "the connection dropped before the relay sent CONNECT_SUCCESS";
      case errc::reconnect_gave_up: return "gave up reconnecting to the relay";
      case errc::local_side_closed: return "the local side closed";
      case errc::stopped: return "stopped";
      case errc::credentials_unavailable: return "could not obtain credentials for the relay";
    }
    return "unknown sshrelay.client error";
  }
};

}  // namespace

const boost::system::error_category& client_category() noexcept {
  static const ClientCategory category;
  return category;
}

}  // namespace sshrelay::client
