#pragma once
// Accepts TCP connections on one address; each gets its own strand and an HttpSession.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>

#include "native/daemon/listening_socket.hpp"
#include "native/daemon/relay_context.hpp"

namespace sshrelay::daemon {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Binds immediately; throws boost::system::system_error naming the address when that fails.
  // `inherited_fd` >= 0: adopt that listening socket (a handover) instead of binding `endpoint`.
  Listener(RelayContext& ctx, const boost::asio::ip::tcp::endpoint& endpoint, int inherited_fd = -1);
  void run();
  void stop();
  // A copy of the listening socket for a successor process.
  int duplicate_fd() { return duplicate_listening_fd(acceptor_); }
  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  // Out of descriptors or memory: accepting again at once would fail again at once (a busy loop that
  // floods the log), so wait a little, and warn at most every few seconds.
  void pause_accepting(const boost::system::error_code& ec);

  RelayContext& ctx_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  std::chrono::steady_clock::time_point last_warning_{};
  std::uint64_t failures_since_warning_ = 0;
};

}  // namespace sshrelay::daemon
