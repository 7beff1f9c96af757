#pragma once
// --metrics-listen ADDR:PORT: a plain-HTTP listener of its own for Prometheus, answering GET /metrics
// (and /healthz, for the scraper's own checks) and nothing else, so the metrics can sit on a loopback or
// internal address while the relay's listener faces users. One request per connection (Connection:
// close), 10 s to send it, 8 KiB of request at most.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "native/daemon/listening_socket.hpp"

namespace sshrelay::daemon {

struct RelayContext;

class MetricsListener : public std::enable_shared_from_this<MetricsListener> {
 public:
  // Binds at once; throws boost::system::system_error when that fails.
  MetricsListener(RelayContext& ctx, const boost::asio::ip::tcp::endpoint& endpoint, int inherited_fd = -1);
  void run();
  void stop();
  int duplicate_fd() { return duplicate_listening_fd(acceptor_); }
  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  void do_accept();

  RelayContext& ctx_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;
};

}  // namespace sshrelay::daemon
