#pragma once
// Accepts TCP connections on one address; each gets its own strand and an HttpSession.
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "native/daemon/relay_context.hpp"

namespace sshrelay::daemon {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Binds immediately; throws boost::system::system_error naming the address when that fails.
  Listener(RelayContext& ctx, const boost::asio::ip::tcp::endpoint& endpoint);
  void run();
  void stop();
  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  RelayContext& ctx_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace sshrelay::daemon
