// CuttingProxy against an echo server: forwarding (bulk, full duplex, half-close), cuts by hand and by
// byte offset, and recovery afterwards.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>
#include <thread>

#include "tests/support/cutting_proxy.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/sha256.hpp"

namespace sshrelay::testing {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// Echoes every byte back; on EOF finishes its writes and half-closes, so half-close propagation through
// the proxy is visible to the client.
class EchoServer {
 public:
  EchoServer() : acceptor_(io_, tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0)) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~EchoServer() {
    io_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::uint64_t bytes_received() const { return received_; }

 private:
  struct Session : std::enable_shared_from_this<Session> {
    Session(tcp::socket s, std::atomic<std::uint64_t>& counter) : socket(std::move(s)), received(counter) {}
    void read() {
      socket.async_read_some(asio::buffer(buffer), [self = shared_from_this()](error_code ec, std::size_t n) {
        if (ec == asio::error::eof) {
          self->socket.shutdown(tcp::socket::shutdown_send, ec);
          return;
        }
        if (ec) return;
        self->received += n;
        asio::async_write(self->socket, asio::buffer(self->buffer.data(), n),
                          [self](error_code write_ec, std::size_t) {
                            if (!write_ec) self->read();
                          });
      });
    }
    tcp::socket socket;
    std::atomic<std::uint64_t>& received;
    std::array<char, 16384> buffer{};
  };

  void accept() {
    acceptor_.async_accept([this](error_code ec, tcp::socket s) {
      if (ec) return;
      std::make_shared<Session>(std::move(s), received_)->read();
      accept();
    });
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::atomic<std::uint64_t> received_{0};
  std::thread thread_;
};

// A blocking client whose every operation is bounded by poll(), so a broken proxy fails the test instead
// of hanging it.
class Client {
 public:
  explicit Client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void send_all(std::string_view data) {
    while (!data.empty()) {
      wait_for(POLLOUT, "send");
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  void shutdown_send() { ::shutdown(fd_, SHUT_WR); }

  // Reads exactly n bytes; throws on EOF, error or timeout.
  std::string read_exact(std::size_t n) {
    std::string out;
    while (out.size() < n) {
      char buffer[65536];
      const ssize_t got = recv_some(buffer, std::min(sizeof buffer, n - out.size()));
      if (got <= 0) throw std::runtime_error("connection ended after " + std::to_string(out.size()) + " bytes");
      out.append(buffer, static_cast<std::size_t>(got));
    }
    return out;
  }

  // Reads until EOF or error; returns the bytes and whether it ended with an error (e.g. ECONNRESET).
  std::pair<std::string, int> read_to_end() {
    std::string out;
    for (;;) {
      char buffer[65536];
      const ssize_t got = recv_some(buffer, sizeof buffer);
      if (got == 0) return {out, 0};
      if (got < 0) return {out, errno};
      out.append(buffer, static_cast<std::size_t>(got));
    }
  }

 private:
  ssize_t recv_some(char* buffer, std::size_t size) {
    wait_for(POLLIN, "recv");
    return ::recv(fd_, buffer, size, 0);
  }
  void wait_for(short events, const char* what) {
    pollfd p{fd_, events, 0};
    // Generous: only a broken proxy waits this long, and a loaded machine can stall a transfer for seconds.
    if (::poll(&p, 1, 60000) != 1) throw std::runtime_error(std::string(what) + ": no progress within 60 s");
  }
  int fd_;
};

std::string random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(engine());
  return s;
}

TEST(CuttingProxy, ForwardsBothWays) {
  EchoServer echo;
  CuttingProxy proxy("127.0.0.1", echo.port());
  Client client(proxy.port());
  client.send_all("hello");
  EXPECT_EQ(client.read_exact(5), "hello");
  EXPECT_EQ(proxy.connections_accepted(), 1u);
  EXPECT_EQ(proxy.bytes_forwarded(), 10u);
  EXPECT_EQ(proxy.cuts(), 0u);
}

TEST(CuttingProxy, BulkFullDuplexAndHalfClose) {
  EchoServer echo;
  CuttingProxy proxy("localhost", echo.port());
  Client client(proxy.port());
  const std::string data = random_bytes(16u << 20, 1);
  // Send and receive at once: the echo path holds only socket buffers, so a sender that waited for
  // nothing would deadlock against a reader that has not started.
  std::exception_ptr send_error;
  std::thread sender([&] {
    try {
      client.send_all(data);
      client.shutdown_send();  // must reach the echo server as EOF, which half-closes back to us
    } catch (...) {
      send_error = std::current_exception();
    }
  });
  const auto [echoed, error] = client.read_to_end();
  sender.join();
  if (send_error) std::rethrow_exception(send_error);
  EXPECT_EQ(error, 0) << std::strerror(error);
  ASSERT_EQ(echoed.size(), data.size());
  EXPECT_EQ(sha256_hex(std::string_view(echoed)), sha256_hex(std::string_view(data)));
  EXPECT_EQ(proxy.bytes_forwarded(), 2 * data.size());
  EXPECT_EQ(proxy.cuts(), 0u);
}

TEST(CuttingProxy, CutAllResetsLiveConnectionsAndNewOnesWork) {
  EchoServer echo;
  CuttingProxy proxy("127.0.0.1", echo.port());
  Client first(proxy.port());
  Client second(proxy.port());
  first.send_all("ping");
  ASSERT_EQ(first.read_exact(4), "ping");
  second.send_all("pong");
  ASSERT_EQ(second.read_exact(4), "pong");

  proxy.cut_all();
  EXPECT_EQ(proxy.cuts(), 1u);
  EXPECT_EQ(proxy.connections_cut(), 2u);
  EXPECT_EQ(proxy.live_connections(), 0u);
  for (Client* c : {&first, &second}) {
    const auto [rest, error] = c->read_to_end();
    EXPECT_EQ(rest, "");
    EXPECT_TRUE(error == ECONNRESET || error == 0) << std::strerror(error);
  }

  Client third(proxy.port());
  third.send_all("again");
  EXPECT_EQ(third.read_exact(5), "again");
  EXPECT_EQ(proxy.connections_accepted(), 3u);
  EXPECT_EQ(proxy.cuts(), 1u);

  proxy.cut_all();  // cuts third
  proxy.cut_all();  // nothing live: not counted
  EXPECT_EQ(proxy.cuts(), 2u);
}

TEST(CuttingProxy, CutPlanCutsAtExactByteOffsets) {
  EchoServer echo;
  CuttingProxy proxy("127.0.0.1", echo.port());
  // 600 bytes up, then the echo is cut after 400 of its 600 bytes: offset 1000.
  proxy.set_cut_plan({3000, 1000});
  {
    Client client(proxy.port());
    client.send_all(std::string(600, 'x'));
    const auto [echoed, error] = client.read_to_end();
    EXPECT_LE(echoed.size(), 400u);  // a reset may discard bytes the kernel had not yet delivered
    EXPECT_TRUE(error == ECONNRESET || error == 0) << std::strerror(error);
  }
  EXPECT_EQ(proxy.cuts(), 1u);
  EXPECT_EQ(proxy.bytes_forwarded(), 1000u);
  // All 600 were handed to the target; a reset may still beat the last of them to the echo server.
  EXPECT_LE(echo.bytes_received(), 600u);

  // The next offset (3000) counts from the plan's start, so 2000 more bytes flow on a new connection.
  {
    Client client(proxy.port());
    client.send_all(std::string(999, 'y'));
    EXPECT_EQ(client.read_exact(999).size(), 999u);  // 2998 so far
    EXPECT_EQ(proxy.cuts(), 1u);
    client.send_all("zz");  // reaches 3000 on the way up: the echo of "zz" is never forwarded
    const auto [echoed, error] = client.read_to_end();
    EXPECT_EQ(echoed, "");
    EXPECT_TRUE(error == ECONNRESET || error == 0) << std::strerror(error);
  }
  EXPECT_EQ(proxy.cuts(), 2u);
  EXPECT_EQ(proxy.bytes_forwarded(), 3000u);

  // Plan exhausted: traffic flows untouched.
  Client client(proxy.port());
  client.send_all(std::string(5000, 'w'));
  EXPECT_EQ(client.read_exact(5000).size(), 5000u);
  EXPECT_EQ(proxy.cuts(), 2u);
}

TEST(CuttingProxy, ClearingThePlanStopsCuts) {
  EchoServer echo;
  CuttingProxy proxy("127.0.0.1", echo.port());
  proxy.set_cut_plan({10});
  proxy.set_cut_plan({});
  Client client(proxy.port());
  client.send_all(std::string(100, 'a'));
  EXPECT_EQ(client.read_exact(100).size(), 100u);
  EXPECT_EQ(proxy.cuts(), 0u);
}

TEST(CuttingProxy, RefusedTargetResetsClient) {
  const std::uint16_t closed_port = pick_free_loopback_port();
  CuttingProxy proxy("127.0.0.1", closed_port);
  Client client(proxy.port());
  const auto [data, error] = client.read_to_end();
  EXPECT_EQ(data, "");
  EXPECT_TRUE(error == ECONNRESET || error == 0) << std::strerror(error);
}

TEST(CuttingProxy, RefusesNonLoopbackTargets) {
  // 192.0.2.0/24 is TEST-NET-1; nothing is sent, the constructor refuses before any dial.
  EXPECT_THROW(CuttingProxy("192.0.2.1", 22), std::invalid_argument);
}

}  // namespace
}  // namespace sshrelay::testing
