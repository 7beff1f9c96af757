#include "native/daemon/listener.hpp"

#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include "native/daemon/health_check.hpp"
#include "native/daemon/http_session.hpp"
#include "native/daemon/log.hpp"
#include "native/daemon/router.hpp"

namespace sshrelay::daemon {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
constexpr auto kWarningInterval = std::chrono::seconds(5);

bool out_of_resources(const boost::system::error_code& ec) {
  return ec == net::error::no_descriptors || ec == net::error::no_buffer_space || ec == net::error::no_memory ||
         ec == boost::system::errc::too_many_files_open_in_system;
}

}  // namespace

Listener::Listener(RelayContext& ctx, const tcp::endpoint& endpoint, int inherited_fd)
    : ctx_(ctx),
      acceptor_(open_acceptor(ctx.pool.front_door(), endpoint, inherited_fd)),
      retry_timer_(acceptor_.get_executor()) {}

void Listener::run() { do_accept(); }

void Listener::stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
  });
}

void Listener::do_accept() {
  acceptor_.async_accept(net::make_strand(ctx_.pool.next()),
                         beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
}

void Listener::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec && out_of_resources(ec)) return pause_accepting(ec);
  if (ec) {
    log(LogLevel::warn, "accept: " + ec.message());  // e.g. a connection reset before it was accepted
  } else {
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (!ctx_.tls && answer_health_check(socket, ctx_.directory ? health_body(ctx_) : std::string(kHealthBody))) return do_accept();
    if (ctx_.tls) {
      std::make_shared<TlsHttpSession>(ctx_, std::move(socket))->run();
    } else {
      std::make_shared<PlainHttpSession>(ctx_, std::move(socket))->run();
    }
  }
  do_accept();
}

void Listener::pause_accepting(const boost::system::error_code& ec) {
  ++failures_since_warning_;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_warning_ >= kWarningInterval) {
    log(LogLevel::warn, "accept: " + ec.message() + " (" + std::to_string(failures_since_warning_) +
                            " times since the last warning); pausing new connections, sessions continue");
    last_warning_ = now;
    failures_since_warning_ = 0;
  }
  retry_timer_.expires_after(kAcceptRetry);
  retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code e) {
    if (!e && self->acceptor_.is_open()) self->do_accept();
  });
}

}  // namespace sshrelay::daemon
