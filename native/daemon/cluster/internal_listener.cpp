#include "native/daemon/cluster/internal_listener.hpp"

#include <boost/asio/read_until.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "native/common/unix_time.hpp"
#include "native/daemon/admission.hpp"
#include "native/daemon/cluster/forward_mac.hpp"
#include "native/daemon/http_refusal.hpp"
#include "native/daemon/log.hpp"
#include "native/daemon/router.hpp"

namespace sshrelay::daemon {
namespace {

namespace beast = boost::beast;
constexpr auto kLinkRequestTimeout = std::chrono::seconds(10);
constexpr std::size_t kLinkHeaderLimit = 8 * 1024;

// One connection on the internal link, until it is handed to admission (or refused).
class ForwardedConnection : public std::enable_shared_from_this<ForwardedConnection> {
 public:
  ForwardedConnection(RelayContext& ctx, std::shared_ptr<InternalListener> listener, tcp::socket&& socket)
      : ctx_(ctx), listener_(std::move(listener)), stream_(std::move(socket)) {
    beast::error_code ec;
    const auto endpoint = stream_.socket().remote_endpoint(ec);
    peer_.ip = ec ? "?" : endpoint.address().to_string();
    peer_.port = ec ? 0 : endpoint.port();
    peer_.text = ec ? "?" : peer_.ip + ":" + std::to_string(peer_.port);
  }

  void run() {
    stream_.expires_after(kLinkRequestTimeout);
    net::async_read_until(stream_, net::dynamic_buffer(received_, cluster::kMaxForwardLine), "\r\n",
                          [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->on_line(ec, n);
    });
  }

 private:
  void on_line(beast::error_code ec, std::size_t n) {
    if (ec) {
      // A line longer than the limit, or not a line at all: not another node.
      if (ec == net::error::not_found || ec == net::error::eof) return refuse("no forwarded-reconnect line");
      return;
    }
    auto checked = listener_->verify(std::string_view(received_).substr(0, n - 2));
    if (!checked) return refuse(checked.error().message);
    preamble_ = std::move(*checked);
    parser_.emplace();
    parser_->header_limit(kLinkHeaderLimit);
    parser_->body_limit(0);
    // What came behind the line is the request's beginning.
    const auto rest = received_.size() - n;
    if (rest > 0) {
      net::buffer_copy(request_buffer_.prepare(rest), net::buffer(received_.data() + n, rest));
      request_buffer_.commit(rest);
    }
    received_.clear();
    http::async_read(stream_, request_buffer_, *parser_, [self = shared_from_this()](beast::error_code e, std::size_t) {
      self->on_request(e);
    });
  }

  void on_request(beast::error_code ec) {
    if (ec) return log(LogLevel::warn, "cluster: forwarded reconnect from node " + preamble_.from_node + " (" + peer_.text +
                                           "): the request could not be read: " + ec.message());
    auto request = parser_->release();
    auto routed = route(ctx_, request, peer_);
    auto* ws = std::get_if<WsRequest>(&routed);
    if (!ws) {
      // The owner's own answer (a 421 for a Host it does not answer to, a 400...) goes back to the client.
      auto& response = std::get<http::message_generator>(routed);
      return beast::async_write(stream_, std::move(response), [self = shared_from_this()](beast::error_code, std::size_t) {});
    }
    stream_.expires_never();
    std::make_shared<Admission<beast::tcp_stream>>(ctx_, std::move(stream_), std::move(request_buffer_), std::move(request),
                                                   std::move(*ws), peer_, std::move(preamble_))
        ->run();
  }

  void refuse(const std::string& why) {
    log(LogLevel::warn, "cluster: internal link connection from " + peer_.text + " refused: " + why);
    answer_and_close(stream_, closing_response(http::status::forbidden, "this is a relay's internal link: only other nodes of its cluster may use it\n"),
                     shared_from_this());
  }

  RelayContext& ctx_;
  std::shared_ptr<InternalListener> listener_;
  beast::tcp_stream stream_;
  std::string received_;  // up to the end of the line (and whatever came with it)
  beast::flat_buffer request_buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  cluster::ForwardPreamble preamble_;
  ConnectionPeer peer_;
};

}  // namespace

InternalListener::InternalListener(RelayContext& ctx, const tcp::endpoint& endpoint, int inherited_fd)
    : ctx_(ctx), acceptor_(open_acceptor(ctx.pool.front_door(), endpoint, inherited_fd)) {}

void InternalListener::run() { do_accept(); }

void InternalListener::stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
  });
}

void InternalListener::do_accept() {
  acceptor_.async_accept(net::make_strand(ctx_.pool.next()), [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (!ec) {
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<ForwardedConnection>(self->ctx_, self, std::move(socket))->run();
    }
    self->do_accept();
  });
}

Result<cluster::ForwardPreamble> InternalListener::verify(std::string_view line) {
  auto split = cluster::split_forward_line(line);
  if (!split) return split.error();
  if (!forward_mac_matches(ctx_.config.cluster.secret, split->encoded_body, split->mac_hex)) {
    return protocol_error("the forwarded reconnect's MAC is wrong (not signed with this cluster's secret)");
  }
  auto preamble = cluster::decode_forward_body(split->encoded_body);
  if (!preamble) return preamble.error();
  std::lock_guard lock(guard_mutex_);
  if (auto fresh = guard_.accept(*preamble, unix_millis_now()); !fresh) return fresh.error();
  return preamble;
}

}  // namespace sshrelay::daemon
