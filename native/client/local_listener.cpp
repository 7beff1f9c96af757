#include "native/client/local_listener.hpp"

#include <boost/asio/post.hpp>
#include <algorithm>

#include "native/client/tls_context.hpp"

namespace sshrelay::client {
namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

LocalListener::LocalListener(asio::io_context& ioc, ConnectionOptions options, std::uint16_t port,
                             const std::string& bind_address, Hooks hooks)
    : ioc_(ioc), strand_(asio::make_strand(ioc)), acceptor_(strand_), retry_timer_(strand_), options_(std::move(options)),
      hooks_(std::move(hooks)) {
  if (options_.transport.relay.tls && !options_.transport.tls) {
    options_.transport.tls = make_client_tls_context(TlsOptions{options_.transport.insecure, {}});
  }
  const tcp::endpoint endpoint(asio::ip::make_address(bind_address), port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
}

void LocalListener::start() {
  asio::post(strand_, [self = shared_from_this()] { self->do_accept(); });
}

void LocalListener::stop() {
  asio::post(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->retry_timer_.cancel();
    error_code ignored;
    self->acceptor_.close(ignored);
    for (auto& connection : self->live_connections()) connection->stop();
  });
}

std::vector<std::shared_ptr<RelayConnection>> LocalListener::live_connections() const {
  std::lock_guard lock(mutex_);
  return live_;
}

std::uint64_t LocalListener::accepted() const {
  std::lock_guard lock(mutex_);
  return accepted_;
}

void LocalListener::do_accept() {
  if (stopped_) return;
  // Each tunnel gets its own strand, made here: the local socket's executor is the connection's strand.
  acceptor_.async_accept(asio::make_strand(ioc_), [self = shared_from_this()](error_code ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void LocalListener::on_accept(error_code ec, tcp::socket socket) {
  if (stopped_ || ec == asio::error::operation_aborted) return;
  if (!ec) {
    auto connection = std::make_shared<RelayConnection>(std::make_unique<TcpLocalStream>(std::move(socket)), options_);
    {
      std::lock_guard lock(mutex_);
      live_.push_back(connection);
      ++accepted_;
    }
    if (hooks_.on_accept) hooks_.on_accept(connection);
    std::weak_ptr<LocalListener> weak = shared_from_this();
    connection->start([weak, connection](error_code done_ec, CloseInfo info) {
      auto self = weak.lock();
      if (!self) return;
      {
        std::lock_guard lock(self->mutex_);
        std::erase(self->live_, connection);
      }
      if (self->hooks_.on_done) self->hooks_.on_done(connection, done_ec, info);
    });
    if (once_) {
      error_code ignored;
      acceptor_.close(ignored);
      return;
    }
  }
  if (ec) {
    // EMFILE and friends are transient for a listener: keep accepting, without spinning.
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    return retry_timer_.async_wait([self = shared_from_this()](error_code e) {
      if (!e) self->do_accept();
    });
  }
  do_accept();
}

}  // namespace sshrelay::client
