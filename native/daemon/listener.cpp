#include "native/daemon/listener.hpp"

#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include "native/daemon/http_session.hpp"
#include "native/daemon/log.hpp"

namespace sshrelay::daemon {

namespace net = boost::asio;
using tcp = net::ip::tcp;

Listener::Listener(RelayContext& ctx, const tcp::endpoint& endpoint) : ctx_(ctx), acceptor_(net::make_strand(ctx.ioc)) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(net::socket_base::max_listen_connections);
}

void Listener::run() { do_accept(); }

void Listener::stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
  });
}

void Listener::do_accept() {
  acceptor_.async_accept(net::make_strand(ctx_.ioc), beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
}

void Listener::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    log(LogLevel::warn, "accept: " + ec.message());  // e.g. out of file descriptors: keep serving
  } else {
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (ctx_.tls) {
      std::make_shared<TlsHttpSession>(ctx_, std::move(socket))->run();
    } else {
      std::make_shared<PlainHttpSession>(ctx_, std::move(socket))->run();
    }
  }
  do_accept();
}

}  // namespace sshrelay::daemon
