#include "native/daemon/target_dialer.hpp"

#include <boost/asio/steady_timer.hpp>
#include <vector>

namespace sshrelay::daemon {

namespace net = boost::asio;
using tcp = net::ip::tcp;

Status check_address(const TargetPolicy& policy, const net::ip::address& address, std::uint16_t port,
                     const PrincipalView& principal) {
  return address.is_v4() ? policy.check(address.to_v4().to_bytes(), port, principal)
                         : policy.check(address.to_v6().to_bytes(), port, principal);
}

namespace {

class DialOperation : public std::enable_shared_from_this<DialOperation> {
 public:
  DialOperation(net::any_io_executor executor, DialRequest request, std::function<void(DialOutcome)> done)
      : resolver_(executor), socket_(executor), timer_(executor), request_(std::move(request)), done_(std::move(done)) {}

  void run() {
    timer_.expires_after(request_.timeout);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;  // cancelled: the dial finished first
      self->timed_out_ = true;
      self->resolver_.cancel();
      boost::system::error_code ignored;
      self->socket_.close(ignored);
    });
    // An address literal needs no resolver (whose getaddrinfo runs on a private thread): the same
    // policy check, one endpoint.
    boost::system::error_code not_literal;
    const auto literal = net::ip::make_address(request_.target.host, not_literal);
    if (!not_literal) return check_and_connect({tcp::endpoint(literal, request_.target.port)});
    resolver_.async_resolve(request_.target.host, std::to_string(request_.target.port),
                            [self = shared_from_this()](boost::system::error_code ec, tcp::resolver::results_type r) {
                              self->on_resolve(ec, r);
                            });
  }

 private:
  const std::string& target_text() {
    if (target_text_.empty()) target_text_ = request_.target.to_string();
    return target_text_;
  }

  void on_resolve(boost::system::error_code ec, const tcp::resolver::results_type& results) {
    if (ec) {
      return fail(ec, 4502, "cannot resolve " + request_.target.host + ": " + (timed_out_ ? "timed out" : ec.message()));
    }
    std::vector<tcp::endpoint> endpoints;
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    check_and_connect(endpoints);
  }

  // Every address is checked; only allowed ones are dialed, in order.
  void check_and_connect(const std::vector<tcp::endpoint>& endpoints) {
    std::string why;
    for (const auto& endpoint : endpoints) {
      if (!request_.policy) {  // the operator's own fixed target (--relay-target): nothing to check
        allowed_.push_back(endpoint);
        continue;
      }
      auto verdict = check_address(*request_.policy, endpoint.address(), endpoint.port(), request_.principal);
      if (verdict) {
        allowed_.push_back(endpoint);
      } else if (why.empty()) {
        why = verdict.error().message;
      }
    }
    if (allowed_.empty()) {
      policy_denied_ = true;
      return fail(net::error::access_denied, 4403, "target " + target_text() + " denied: " + why);
    }
    if (request_.source_ports) {
      lease_ = request_.source_ports->acquire();
      if (!lease_) return fail(net::error::no_buffer_space, 4503, "no free source port for the outbound connection");
    }
    try_next();
  }

  // Connects to the allowed addresses in turn (what asio::async_connect does, but binding each
  // attempt's socket to the leased source port first).
  void try_next() {
    if (next_ >= allowed_.size()) {
      return fail(last_error_, 4502, "cannot connect to " + target_text() + ": " +
                                         (timed_out_ ? std::string("timed out") : last_error_.message()));
    }
    const tcp::endpoint endpoint = allowed_[next_++];
    boost::system::error_code ec;
    socket_.close(ec);
    socket_.open(endpoint.protocol(), ec);
    if (!ec && lease_) bind_leased_port(endpoint, ec);
    if (ec) {
      last_error_ = ec;
      return try_next();
    }
    socket_.async_connect(endpoint, [self = shared_from_this(), endpoint](boost::system::error_code e) {
      self->on_connect(e, endpoint);
    });
  }

  // Binds to the leased port; a port some other socket holds (the range may overlap the kernel's
  // ephemeral ports) is swapped for the next free one, at most once per port in the pool.
  void bind_leased_port(const tcp::endpoint& endpoint, boost::system::error_code& ec) {
    socket_.set_option(net::socket_base::reuse_address(true), ec);  // the port may still be in TIME_WAIT
    for (int attempt = 0; !ec && attempt < 64; ++attempt) {
      socket_.bind(tcp::endpoint(endpoint.protocol(), lease_->port()), ec);
      if (ec != net::error::address_in_use) return;
      auto other = request_.source_ports->acquire();
      if (!other) return;  // ec stays address_in_use
      lease_ = std::move(other);
      ec.clear();
    }
  }

  void on_connect(boost::system::error_code ec, const tcp::endpoint& endpoint) {
    if (ec) {
      last_error_ = ec;
      if (timed_out_) return fail(ec, 4502, "cannot connect to " + target_text() + ": timed out");
      return try_next();
    }
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);  // interactive SSH: never wait to coalesce
    timer_.cancel();
    DialOutcome outcome{{}, 0, {}, std::move(socket_), endpoint, std::move(lease_), false};
    done_(std::move(outcome));
  }

  void fail(boost::system::error_code ec, std::uint16_t code, std::string reason) {
    timer_.cancel();
    DialOutcome outcome{ec ? ec : net::error::host_unreachable, code, std::move(reason), std::move(socket_), {}, nullptr,
                        policy_denied_};
    done_(std::move(outcome));
  }

  tcp::resolver resolver_;
  tcp::socket socket_;
  net::steady_timer timer_;
  DialRequest request_;
  std::function<void(DialOutcome)> done_;
  std::vector<tcp::endpoint> allowed_;
  std::size_t next_ = 0;
  std::unique_ptr<PortLease> lease_;
  boost::system::error_code last_error_ = net::error::host_not_found;
  std::string target_text_;
  bool timed_out_ = false;
  bool policy_denied_ = false;
};

}  // namespace

void async_dial(net::any_io_executor executor, DialRequest request, std::function<void(DialOutcome)> done) {
  std::make_shared<DialOperation>(std::move(executor), std::move(request), std::move(done))->run();
}

}  // namespace sshrelay::daemon
