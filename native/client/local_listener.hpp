#pragma once
// Accepts TCP connections on a loopback port and tunnels each one through its own RelayConnection to one
// fixed target: the basis of `sshrelay proxy --listen`, and how the integration tests run a real
// `ssh -p <port>` through the relay.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "native/client/relay_connection.hpp"

namespace sshrelay::client {

class LocalListener : public std::enable_shared_from_this<LocalListener> {
 public:
  struct Hooks {
    // A connection was accepted and is about to start (runs on the listener's strand).
    std::function<void(const std::shared_ptr<RelayConnection>&)> on_accept;
    // A connection completed.
    std::function<void(const std::shared_ptr<RelayConnection>&, boost::system::error_code, const CloseInfo&)> on_done;
  };

  // Binds and listens at once (port 0: ephemeral; see port()); throws boost::system::system_error.
  // If options.transport.relay is wss:// and options.transport.tls is empty, a context is made from
  // TlsOptions{options.transport.insecure}.
  LocalListener(boost::asio::io_context& ioc, ConnectionOptions options, std::uint16_t port = 0,
                const std::string& bind_address = "127.0.0.1", Hooks hooks = {});

  std::uint16_t port() const { return port_; }
  // Starts accepting. Call once.
  void start();
  // Accept one connection, then close the listening socket (`sshrelay tcp-listen`, as swsrs does). Call
  // before start().
  void accept_once() { once_ = true; }
  // Stops accepting and stop()s every live connection. Any thread; idempotent.
  void stop();

  // Connections that have not completed yet. Any thread.
  std::vector<std::shared_ptr<RelayConnection>> live_connections() const;
  std::uint64_t accepted() const;

 private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  ConnectionOptions options_;
  Hooks hooks_;
  bool once_ = false;
  std::uint16_t port_ = 0;
  bool stopped_ = false;

  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<RelayConnection>> live_;
  std::uint64_t accepted_ = 0;
};

}  // namespace sshrelay::client
