#pragma once
// A listener's socket: bound here, or inherited from a predecessor process (a handover passes listening
// sockets with SCM_RIGHTS, so connections queue in the kernel meanwhile and none is refused).
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <utility>

namespace sshrelay::daemon {

// Binds and listens on `endpoint`, or, given `inherited_fd` (>= 0), adopts that listening socket
// instead. Throws boost::system::system_error when that fails.
// `where`: an io_context or an executor.
template <class Where>
boost::asio::ip::tcp::acceptor open_acceptor(Where&& where, const boost::asio::ip::tcp::endpoint& endpoint,
                                             int inherited_fd = -1) {
  boost::asio::ip::tcp::acceptor acceptor(std::forward<Where>(where));
  if (inherited_fd >= 0) {
    acceptor.assign(endpoint.protocol(), inherited_fd);
    return acceptor;
  }
  acceptor.open(endpoint.protocol());
  acceptor.set_option(boost::asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(boost::asio::socket_base::max_listen_connections);
  return acceptor;
}

// A copy of the acceptor's descriptor for a successor (the acceptor may then be closed here).
inline int duplicate_listening_fd(boost::asio::ip::tcp::acceptor& acceptor) { return ::dup(acceptor.native_handle()); }

}  // namespace sshrelay::daemon
