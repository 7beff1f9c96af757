#include "native/daemon/metrics_listener.hpp"

#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "native/daemon/health_check.hpp"
#include "native/daemon/relay_context.hpp"
#include "native/daemon/relay_metrics.hpp"
#include "native/daemon/router.hpp"

namespace sshrelay::daemon {
namespace {

namespace beast = boost::beast;
using tcp = boost::asio::ip::tcp;

// One scrape: read the request, answer, close.
class MetricsRequest : public std::enable_shared_from_this<MetricsRequest> {
 public:
  MetricsRequest(RelayContext& ctx, tcp::socket socket) : ctx_(ctx), stream_(std::move(socket)) {}

  void start() {
    parser_.header_limit(8 * 1024);
    parser_.body_limit(0);
    stream_.expires_after(std::chrono::seconds(10));
    http::async_read(stream_, buffer_, parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (!ec) self->answer();
    });
  }

 private:
  void answer() {
    const auto& req = parser_.get();
    const std::string_view target = req.target();
    const std::string_view path = target.substr(0, target.find('?'));
    http::response<http::string_body> res;
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      res = response(req, http::status::method_not_allowed, "text/plain", "method not allowed\n");
    } else if (path == "/metrics") {
      res = response(req, http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                     ctx_.metrics ? ctx_.metrics->render(ctx_) : std::string());
    } else if (path == kHealthPath) {
      res = response(req, http::status::ok, "application/json", std::string(kHealthBody));
    } else {
      res = response(req, http::status::not_found, "text/plain", "this listener serves /metrics only\n");
    }
    res.keep_alive(false);
    if (req.method() == http::verb::head) res.body().clear();
    res_ = std::move(res);
    res_.prepare_payload();
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code, std::size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  RelayContext& ctx_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request_parser<http::string_body> parser_;
  http::response<http::string_body> res_;
};

}  // namespace

MetricsListener::MetricsListener(RelayContext& ctx, const tcp::endpoint& endpoint, int inherited_fd)
    : ctx_(ctx), acceptor_(open_acceptor(ctx.ioc.get_executor(), endpoint, inherited_fd)), retry_(ctx.ioc) {}

void MetricsListener::run() { do_accept(); }

void MetricsListener::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  retry_.cancel();
}

void MetricsListener::do_accept() {
  acceptor_.async_accept(boost::asio::make_strand(ctx_.ioc), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (!ec) {
      std::make_shared<MetricsRequest>(self->ctx_, std::move(socket))->start();
      return self->do_accept();
    }
    // Out of descriptors, say: try again a little later rather than at once, in a loop.
    self->retry_.expires_after(std::chrono::milliseconds(200));
    self->retry_.async_wait([self](beast::error_code e) {
      if (!e) self->do_accept();
    });
  });
}

}  // namespace sshrelay::daemon
