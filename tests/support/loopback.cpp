#include "tests/support/loopback.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace sshrelay::testing {
namespace {

// Plain sockets here rather than Asio: these are a few blocking-with-timeout probes, and poll() bounds
// each step directly.
class Socket {
 public:
  Socket() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    if (fd_ < 0) throw std::runtime_error(std::string("socket() failed: ") + std::strerror(errno));
  }
  ~Socket() { ::close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Non-blocking connect so the attempt itself is bounded by the deadline.
bool connect_until(const Socket& s, std::uint16_t port, std::chrono::steady_clock::time_point deadline) {
  ::fcntl(s.fd(), F_SETFL, ::fcntl(s.fd(), F_GETFL) | O_NONBLOCK);
  const sockaddr_in addr = loopback(port);
  if (::connect(s.fd(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return true;
  if (errno != EINPROGRESS) return false;
  pollfd p{s.fd(), POLLOUT, 0};
  if (::poll(&p, 1, remaining_ms(deadline)) != 1) return false;
  int error = 0;
  socklen_t len = sizeof error;
  ::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &error, &len);
  return error == 0;
}

}  // namespace

std::uint16_t pick_free_loopback_port() {
  Socket s;
  sockaddr_in addr = loopback(0);
  if (::bind(s.fd(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error(std::string("bind(127.0.0.1:0) failed: ") + std::strerror(errno));
  socklen_t len = sizeof addr;
  ::getsockname(s.fd(), reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

bool loopback_port_accepts(std::uint16_t port, std::chrono::milliseconds timeout) {
  Socket s;
  return connect_until(s, port, std::chrono::steady_clock::now() + timeout);
}

std::string read_greeting(std::uint16_t port, const std::string& prefix, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Socket s;
  if (!connect_until(s, port, deadline)) return {};
  std::string received;
  for (;;) {
    // Servers may send other lines before their banner (RFC 4253 allows it for SSH), so look line by line.
    for (std::size_t start = 0, end; (end = received.find('\n', start)) != std::string::npos;
         start = end + 1) {
      std::string line = received.substr(start, end - start);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.rfind(prefix, 0) == 0) return line;
    }
    if (received.size() > 64 * 1024) return {};
    pollfd p{s.fd(), POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) != 1) return {};
    char buffer[1024];
    const ssize_t n = ::recv(s.fd(), buffer, sizeof buffer, 0);
    if (n <= 0) return {};
    received.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace sshrelay::testing
