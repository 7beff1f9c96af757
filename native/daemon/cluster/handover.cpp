#include "native/daemon/cluster/handover.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace sshrelay::daemon {
namespace {

constexpr std::size_t kMaxFdsPerMessage = 16;
constexpr std::uint32_t kMaxHeader = 1 << 20;
constexpr std::uint32_t kMaxBlob = 1 << 30;

Error os_error(const std::string& what) { return local_error(what + ": " + std::strerror(errno)); }

// Waits until `socket` is ready for `events` or the deadline passes.
Status wait_ready(int socket, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return local_error("the other process did not answer in time");
    pollfd p{socket, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return Ok{};
    if (n < 0 && errno != EINTR) return os_error("poll");
  }
}

Status write_all(int socket, const std::uint8_t* data, std::size_t size, std::span<const int> fds,
                 std::chrono::steady_clock::time_point deadline) {
  bool fds_sent = fds.empty();
  while (size > 0 || !fds_sent) {
    if (auto ready = wait_ready(socket, POLLOUT, deadline); !ready) return ready;
    iovec io{const_cast<std::uint8_t*>(data), size};
    msghdr msg{};
    msg.msg_iov = &io;
    msg.msg_iovlen = 1;
    std::array<char, CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage)> control{};
    if (!fds_sent) {
      msg.msg_control = control.data();
      msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
      std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    const auto n = ::sendmsg(socket, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return os_error("sendmsg");
    }
    fds_sent = true;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return Ok{};
}

Status read_all(int socket, std::uint8_t* data, std::size_t size, std::vector<int>& fds,
                std::chrono::steady_clock::time_point deadline) {
  while (size > 0) {
    if (auto ready = wait_ready(socket, POLLIN, deadline); !ready) return ready;
    iovec io{data, size};
    msghdr msg{};
    msg.msg_iov = &io;
    msg.msg_iovlen = 1;
    std::array<char, CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage)> control{};
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    const auto n = ::recvmsg(socket, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return os_error("recvmsg");
    }
    if (n == 0) return local_error("the other process closed the handover socket");
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      const auto* first = reinterpret_cast<const int*>(CMSG_DATA(c));
      fds.insert(fds.end(), first, first + count);
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return Ok{};
}

void put_u32(std::uint8_t* out, std::uint32_t v) {
  out[0] = static_cast<std::uint8_t>(v >> 24);
  out[1] = static_cast<std::uint8_t>(v >> 16);
  out[2] = static_cast<std::uint8_t>(v >> 8);
  out[3] = static_cast<std::uint8_t>(v);
}
std::uint32_t get_u32(const std::uint8_t* in) {
  return (std::uint32_t{in[0]} << 24) | (std::uint32_t{in[1]} << 16) | (std::uint32_t{in[2]} << 8) | in[3];
}

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    return local_error("the handover socket path '" + path + "' is empty or longer than " +
                       std::to_string(sizeof(address.sun_path) - 1) + " bytes");
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return address;
}

}  // namespace

Status send_handover_message(int socket, const HandoverMessage& message, std::chrono::milliseconds timeout) {
  if (message.fds.size() > kMaxFdsPerMessage) return local_error("too many descriptors for one handover message");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::string header = message.header.dump();
  std::vector<std::uint8_t> bytes(8);
  put_u32(bytes.data(), static_cast<std::uint32_t>(header.size()));
  put_u32(bytes.data() + 4, static_cast<std::uint32_t>(message.blob.size()));
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.insert(bytes.end(), message.blob.begin(), message.blob.end());
  return write_all(socket, bytes.data(), bytes.size(), message.fds, deadline);
}

Result<HandoverMessage> receive_handover_message(int socket, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  HandoverMessage message;
  std::array<std::uint8_t, 8> lengths{};
  const auto close_fds = [&] {
    for (int fd : message.fds) ::close(fd);
  };
  if (auto ok = read_all(socket, lengths.data(), lengths.size(), message.fds, deadline); !ok) {
    close_fds();
    return ok.error();
  }
  const auto header_size = get_u32(lengths.data());
  const auto blob_size = get_u32(lengths.data() + 4);
  if (header_size > kMaxHeader || blob_size > kMaxBlob) {
    close_fds();
    return protocol_error("a handover message larger than allowed");
  }
  std::vector<std::uint8_t> header(header_size);
  message.blob.resize(blob_size);
  Status ok = read_all(socket, header.data(), header.size(), message.fds, deadline);
  if (ok) ok = read_all(socket, message.blob.data(), message.blob.size(), message.fds, deadline);
  if (!ok) {
    close_fds();
    return ok.error();
  }
  message.header = nlohmann::json::parse(header.begin(), header.end(), nullptr, false);
  if (!message.header.is_object()) {
    close_fds();
    return protocol_error("a handover message whose header is not a JSON object");
  }
  return message;
}

Result<int> listen_handover_socket(const std::string& path, bool replace) {
  auto address = unix_address(path);
  if (!address) return address.error();
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return os_error("socket");
  // A file left by a process that died is replaced; one a live process listens on is refused by bind.
  if (!replace && ::connect(fd, reinterpret_cast<const sockaddr*>(&*address), sizeof(sockaddr_un)) == 0) {
    ::close(fd);
    return local_error("another sshrelayd already offers a handover at " + path + " (start this one with --takeover)");
  }
  ::unlink(path.c_str());
  const mode_t old_mask = ::umask(0077);
  const int bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&*address), sizeof(sockaddr_un));
  ::umask(old_mask);
  if (bound != 0 || ::listen(fd, 4) != 0) {
    auto error = os_error("cannot listen on the handover socket " + path);
    ::close(fd);
    return error;
  }
  return fd;
}

Result<int> connect_handover_socket(const std::string& path) {
  auto address = unix_address(path);
  if (!address) return address.error();
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return os_error("socket");
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&*address), sizeof(sockaddr_un)) != 0) {
    auto error = os_error("cannot reach a running sshrelayd at the handover socket " + path);
    ::close(fd);
    return error;
  }
  return fd;
}

}  // namespace sshrelay::daemon
