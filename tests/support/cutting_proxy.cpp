#include "tests/support/cutting_proxy.hpp"

#include <fcntl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <future>
#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_set>

namespace sshrelay::testing {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::size_t kBufferSize = 64 * 1024;
constexpr auto kCallTimeout = std::chrono::seconds(30);  // generous: only costs time on failure

// Belt and braces next to Process's own descriptor cleanup: a forked child holding a copy of a proxy socket would
// keep the connection alive after a cut, and the peer would never see the reset.
template <typename Socket>
void set_cloexec(Socket& s) {
  const int fd = s.native_handle();
  ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC);
}

}  // namespace

namespace detail {
class Connection;

class CuttingProxyImpl {
 public:
  CuttingProxyImpl(const std::string& target_host, std::uint16_t target_port);
  ~CuttingProxyImpl();

  // Runs `f` on the io thread and waits for it, bounded, so callers see its effect on return.
  template <typename F>
  void call(const char* what, F f);

  void do_accept();
  void on_accept(error_code ec, tcp::socket socket);

  // Resets every live connection; `count` is false at shutdown, which is not a test-visible cut.
  void cut_everything(bool count);

  // How many of `n` just-read bytes may be forwarded now, given the cut plan. Sets `cut_after` when
  // forwarding them reaches the next offset, in which case `generation` identifies the plan.
  std::size_t reserve(std::size_t n, bool& cut_after, std::uint64_t& generation);
  // Called when the write that reached an offset has completed (or failed).
  void plan_offset_reached(std::uint64_t generation);

  // Members used by connections, all touched only on the io thread unless atomic.
  asio::io_context io_;  // first: destroyed last, after every socket bound to it
  tcp::endpoint target_;
  std::unordered_set<std::shared_ptr<Connection>> live_;
  bool stopping_ = false;

  std::atomic<std::uint64_t> cuts_{0};
  std::atomic<std::uint64_t> connections_cut_{0};
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> live_count_{0};
  std::atomic<std::uint64_t> bytes_{0};
  std::uint16_t port_ = 0;

 private:
  tcp::acceptor acceptor_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::uint64_t> plan_;
  std::size_t plan_next_ = 0;
  std::uint64_t plan_bytes_ = 0;
  std::uint64_t plan_generation_ = 0;
  bool cut_pending_ = false;
  std::thread thread_;

  friend class sshrelay::testing::CuttingProxy;
};

// One proxied connection: two pumps (client->target, target->client), each read-then-write with its own
// 64 KiB buffer, so both directions flow at once and each is backpressured by its own writes.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(CuttingProxyImpl& proxy, tcp::socket client)
      : proxy_(proxy), client_(std::move(client)), target_(proxy.io_) {}

  void start() {
    target_.async_connect(proxy_.target_, [self = shared_from_this()](error_code ec) { self->on_connect(ec); });
  }

  // SO_LINGER 0 then close: the kernel sends RST instead of FIN and drops unsent bytes.
  void reset() {
    if (closed_) return;
    for (tcp::socket* s : {&client_, &target_}) {
      error_code ignored;
      if (!s->is_open()) continue;
      s->set_option(asio::socket_base::linger(true, 0), ignored);
      s->close(ignored);
    }
    forget();
  }

 private:
  struct Pump {
    tcp::socket* from = nullptr;
    tcp::socket* to = nullptr;
    std::vector<std::uint8_t> buffer;
    bool eof = false;
    bool cut_after = false;
    std::uint64_t generation = 0;
  };

  void on_connect(error_code ec) {
    if (closed_) return;
    if (ec) return reset();  // the client sees a reset, as if the target had refused it directly
    set_cloexec(target_);
    error_code ignored;
    // Nagle plus delayed ACK would add ~40 ms stalls to request/response traffic through the proxy.
    client_.set_option(tcp::no_delay(true), ignored);
    target_.set_option(tcp::no_delay(true), ignored);
    pumps_[0] = Pump{&client_, &target_, std::vector<std::uint8_t>(kBufferSize)};
    pumps_[1] = Pump{&target_, &client_, std::vector<std::uint8_t>(kBufferSize)};
    do_read(0);
    do_read(1);
  }

  void do_read(int d) {
    Pump& p = pumps_[d];
    p.from->async_read_some(asio::buffer(p.buffer),
                            [self = shared_from_this(), d](error_code ec, std::size_t n) { self->on_read(d, ec, n); });
  }

  void on_read(int d, error_code ec, std::size_t n) {
    if (closed_) return;
    Pump& p = pumps_[d];
    if (ec == asio::error::eof) {
      // Half-close: pass the EOF on and keep the other direction flowing. Everything read before it has
      // already been written, since each pump has at most one operation in flight.
      p.eof = true;
      error_code ignored;
      p.to->shutdown(tcp::socket::shutdown_send, ignored);
      if (pumps_[1 - d].eof) close_gracefully();
      return;
    }
    if (ec) return reset();  // a reset on one side becomes a reset on the other
    const std::size_t take = proxy_.reserve(n, p.cut_after, p.generation);
    if (take == 0) return;  // a plan cut is about to reset this connection; the bytes die with it
    asio::async_write(*p.to, asio::buffer(p.buffer.data(), take),
                      [self = shared_from_this(), d](error_code write_ec, std::size_t) {
                        self->on_write(d, write_ec);
                      });
  }

  void on_write(int d, error_code ec) {
    Pump& p = pumps_[d];
    if (p.cut_after) {
      // Even if the write failed: the plan must move on, or every pump would stay parked behind it.
      p.cut_after = false;
      proxy_.plan_offset_reached(p.generation);
      return;
    }
    if (closed_) return;
    if (ec) return reset();
    do_read(d);
  }

  void close_gracefully() {
    error_code ignored;
    client_.close(ignored);
    target_.close(ignored);
    forget();
  }

  void forget() {
    closed_ = true;
    if (proxy_.live_.erase(shared_from_this()) > 0) --proxy_.live_count_;
  }

  CuttingProxyImpl& proxy_;
  tcp::socket client_;
  tcp::socket target_;
  std::array<Pump, 2> pumps_;
  bool closed_ = false;
};

CuttingProxyImpl::CuttingProxyImpl(const std::string& target_host, std::uint16_t target_port)
    : acceptor_(io_), work_(asio::make_work_guard(io_)) {
  error_code ec;
  const auto address = asio::ip::make_address(target_host, ec);
  if (!ec) {
    target_ = tcp::endpoint(address, target_port);
  } else {
    tcp::resolver resolver(io_);
    const auto results = resolver.resolve(target_host, std::to_string(target_port), ec);
    if (ec || results.empty())
      throw std::invalid_argument("CuttingProxy: cannot resolve target " + target_host + ": " + ec.message());
    target_ = *results.begin();
  }
  if (!target_.address().is_loopback())
    throw std::invalid_argument("CuttingProxy: target " + target_.address().to_string() +
                                " is not a loopback address");

  const tcp::endpoint listen(asio::ip::make_address_v4("127.0.0.1"), 0);
  acceptor_.open(listen.protocol());
  set_cloexec(acceptor_);
  acceptor_.bind(listen);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
  do_accept();
  thread_ = std::thread([this] {
    // A throwing handler is a bug in this file; report it and keep the proxy alive rather than terminate
    // the whole test binary from a background thread.
    for (;;) {
      try {
        io_.run();
        return;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "[sshrelay test support] CuttingProxy handler threw: %s\n", e.what());
      }
    }
  });
}

CuttingProxyImpl::~CuttingProxyImpl() {
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  asio::post(io_, [this, done] {
    stopping_ = true;
    error_code ignored;
    acceptor_.close(ignored);
    cut_everything(false);
    done->set_value();
  });
  // Without the guard, run() returns once the aborted handlers have drained. If the thread is wedged,
  // stop() makes it return anyway so the destructor cannot hang.
  work_.reset();
  if (future.wait_for(kCallTimeout) != std::future_status::ready) io_.stop();
  thread_.join();
}

template <typename F>
void CuttingProxyImpl::call(const char* what, F f) {
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  asio::post(io_, [f = std::move(f), done]() mutable {
    f();
    done->set_value();
  });
  if (future.wait_for(kCallTimeout) != std::future_status::ready)
    throw std::runtime_error(std::string("CuttingProxy::") + what + ": proxy thread did not respond within " +
                             std::to_string(kCallTimeout.count()) + " s");
}

void CuttingProxyImpl::do_accept() {
  acceptor_.async_accept([this](error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void CuttingProxyImpl::on_accept(error_code ec, tcp::socket socket) {
  if (stopping_ || ec == asio::error::operation_aborted) return;
  if (!ec) {
    set_cloexec(socket);
    ++accepted_;
    auto connection = std::make_shared<Connection>(*this, std::move(socket));
    live_.insert(connection);
    ++live_count_;
    connection->start();
  } else {
    // EMFILE and friends: note it and keep accepting; the client sees its connect fail or hang until
    // its own timeout.
    std::fprintf(stderr, "[sshrelay test support] CuttingProxy accept: %s\n", ec.message().c_str());
  }
  do_accept();
}

void CuttingProxyImpl::cut_everything(bool count) {
  // Copy first: reset() erases from live_.
  const std::vector<std::shared_ptr<Connection>> victims(live_.begin(), live_.end());
  // Count before resetting: a test thread that has just seen its reset must also see the count.
  if (count && !victims.empty()) {
    ++cuts_;
    connections_cut_ += victims.size();
  }
  for (const auto& c : victims) c->reset();
}

std::size_t CuttingProxyImpl::reserve(std::size_t n, bool& cut_after, std::uint64_t& generation) {
  std::size_t take = n;
  if (plan_next_ < plan_.size()) {
    if (cut_pending_) return 0;
    const std::uint64_t budget = plan_[plan_next_] - plan_bytes_;
    if (take >= budget) {
      take = static_cast<std::size_t>(budget);
      cut_pending_ = true;
      cut_after = true;
      generation = plan_generation_;
    }
    plan_bytes_ += take;
  }
  bytes_ += take;
  return take;
}

void CuttingProxyImpl::plan_offset_reached(std::uint64_t generation) {
  if (stopping_ || generation != plan_generation_) return;  // a newer plan replaced this one
  cut_pending_ = false;
  ++plan_next_;
  cut_everything(true);
}

}  // namespace detail

CuttingProxy::CuttingProxy(const std::string& target_host, std::uint16_t target_port)
    : impl_(std::make_unique<detail::CuttingProxyImpl>(target_host, target_port)) {}

CuttingProxy::~CuttingProxy() = default;

std::uint16_t CuttingProxy::port() const { return impl_->port_; }

void CuttingProxy::cut_all() {
  impl_->call("cut_all", [impl = impl_.get()] { impl->cut_everything(true); });
}

void CuttingProxy::set_cut_plan(std::vector<std::uint64_t> offsets) {
  std::sort(offsets.begin(), offsets.end());
  offsets.erase(std::unique(offsets.begin(), offsets.end()), offsets.end());
  offsets.erase(std::remove(offsets.begin(), offsets.end(), 0u), offsets.end());
  impl_->call("set_cut_plan", [impl = impl_.get(), offsets = std::move(offsets)]() mutable {
    // The old plan already reached an offset and parked every pump behind the cut; carry that cut out
    // now, or those pumps would wait for a completion the new plan ignores.
    if (impl->cut_pending_) impl->cut_everything(true);
    impl->plan_ = std::move(offsets);
    impl->plan_next_ = 0;
    impl->plan_bytes_ = 0;
    impl->cut_pending_ = false;
    ++impl->plan_generation_;
  });
}

std::uint64_t CuttingProxy::cuts() const { return impl_->cuts_; }
std::uint64_t CuttingProxy::connections_cut() const { return impl_->connections_cut_; }
std::uint64_t CuttingProxy::connections_accepted() const { return impl_->accepted_; }
std::uint64_t CuttingProxy::live_connections() const { return impl_->live_count_; }
std::uint64_t CuttingProxy::bytes_forwarded() const { return impl_->bytes_; }

std::vector<std::uint64_t> random_cut_plan(std::uint64_t seed, std::uint64_t first, std::uint64_t last, int cuts) {
  std::mt19937_64 rng(seed);
  const std::uint64_t slice = (last - first) / static_cast<std::uint64_t>(cuts);
  std::vector<std::uint64_t> plan;
  for (int i = 0; i < cuts; ++i) {
    const auto start = first + static_cast<std::uint64_t>(i) * slice;
    plan.push_back(std::uniform_int_distribution<std::uint64_t>(start + slice / 8, start + slice * 7 / 8)(rng));
  }
  return plan;
}

}  // namespace sshrelay::testing
