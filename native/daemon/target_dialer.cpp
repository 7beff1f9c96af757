#include "native/daemon/target_dialer.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <vector>

namespace sshrelay::daemon {

namespace net = boost::asio;
using tcp = net::ip::tcp;

bool address_allowed(const net::ip::address& address, const DialPolicy& policy, std::string* why) {
  const AddressClass kind = address.is_v4() ? classify_address(address.to_v4().to_bytes())
                                            : classify_address(address.to_v6().to_bytes());
  bool allowed = false;
  switch (kind) {
    case AddressClass::public_network: allowed = true; break;
    case AddressClass::private_network: allowed = policy.allow_private; break;
    case AddressClass::loopback: allowed = policy.allow_loopback; break;
    default: allowed = false; break;
  }
  if (!allowed && why) *why = address.to_string() + " is " + std::string(to_string(kind)) + ", denied by policy";
  return allowed;
}

namespace {

class DialOperation : public std::enable_shared_from_this<DialOperation> {
 public:
  DialOperation(net::any_io_executor executor, Target target, DialPolicy policy, std::function<void(DialOutcome)> done)
      : resolver_(executor), socket_(executor), timer_(executor), target_(std::move(target)), policy_(policy),
        done_(std::move(done)) {}

  void run(std::chrono::milliseconds timeout) {
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;  // cancelled: the dial finished first
      self->timed_out_ = true;
      self->resolver_.cancel();
      boost::system::error_code ignored;
      self->socket_.close(ignored);
    });
    resolver_.async_resolve(target_.host, std::to_string(target_.port),
                            [self = shared_from_this()](boost::system::error_code ec, tcp::resolver::results_type r) {
                              self->on_resolve(ec, std::move(r));
                            });
  }

 private:
  void on_resolve(boost::system::error_code ec, const tcp::resolver::results_type& results) {
    if (ec) return finish(ec, 4502, "cannot resolve " + target_.host + (timed_out_ ? ": timed out" : ": " + ec.message()));
    std::string why;
    for (const auto& entry : results) {
      if (address_allowed(entry.endpoint().address(), policy_, &why)) {
        allowed_.push_back(entry.endpoint());
      }
    }
    if (allowed_.empty()) {
      return finish(net::error::access_denied, 4403, "target " + target_.to_string() + " denied: " + why);
    }
    net::async_connect(socket_, allowed_, [self = shared_from_this()](boost::system::error_code e, const tcp::endpoint& ep) {
      self->on_connect(e, ep);
    });
  }

  void on_connect(boost::system::error_code ec, const tcp::endpoint& endpoint) {
    if (ec) {
      return finish(ec, 4502, "cannot connect to " + target_.to_string() + ": " +
                                  (timed_out_ ? std::string("timed out") : ec.message()));
    }
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);  // interactive SSH: never wait to coalesce
    endpoint_ = endpoint;
    finish({}, 0, {});
  }

  void finish(boost::system::error_code ec, std::uint16_t code, std::string reason) {
    timer_.cancel();
    DialOutcome outcome{ec, code, std::move(reason), std::move(socket_), endpoint_};
    done_(std::move(outcome));
  }

  tcp::resolver resolver_;
  tcp::socket socket_;
  net::steady_timer timer_;
  Target target_;
  DialPolicy policy_;
  std::function<void(DialOutcome)> done_;
  std::vector<tcp::endpoint> allowed_;
  tcp::endpoint endpoint_;
  bool timed_out_ = false;
};

}  // namespace

void async_dial(net::any_io_executor executor, const Target& target, const DialPolicy& policy,
                std::chrono::milliseconds timeout, std::function<void(DialOutcome)> done) {
  std::make_shared<DialOperation>(std::move(executor), target, policy, std::move(done))->run(timeout);
}

}  // namespace sshrelay::daemon
