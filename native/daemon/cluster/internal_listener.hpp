#pragma once
// The owner's end of the internal link (--cluster-listen): other nodes of the cluster hand it the
// reconnects that landed on them. A connection must open with a forwarded-reconnect line signed with
// the cluster secret, fresh and never seen before (core/cluster/forward_preamble.hpp); then comes the
// client's request, which runs through the same admission as a reconnect made here, with the identity
// the forwarding node verified. Anything else — a client that found the port, a wrong secret, a
// replayed line — is answered 403 and closed, and logged.
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <mutex>
#include <string_view>

#include "core/cluster/forward_preamble.hpp"
#include "native/daemon/listening_socket.hpp"
#include "native/daemon/relay_context.hpp"

namespace sshrelay::daemon {

class InternalListener : public std::enable_shared_from_this<InternalListener> {
 public:
  // Binds immediately; throws boost::system::system_error when that fails.
  InternalListener(RelayContext& ctx, const boost::asio::ip::tcp::endpoint& endpoint, int inherited_fd = -1);
  void run();
  void stop();
  int duplicate_fd() { return duplicate_listening_fd(acceptor_); }
  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

  // The line (without CRLF) checked: MAC, date and nonce. Thread-safe.
  Result<cluster::ForwardPreamble> verify(std::string_view line);

 private:
  void do_accept();

  RelayContext& ctx_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::mutex guard_mutex_;
  cluster::ForwardReplayGuard guard_;
};

}  // namespace sshrelay::daemon
