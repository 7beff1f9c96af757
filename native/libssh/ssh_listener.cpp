#include "native/libssh/ssh_listener.hpp"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include "native/daemon/log.hpp"

namespace sshrelay::libssh {

using daemon::log;
using daemon::LogLevel;

std::string peer_address(ssh_session session) {
  sockaddr_storage peer{};
  socklen_t length = sizeof peer;
  if (::getpeername(ssh_get_fd(session), reinterpret_cast<sockaddr*>(&peer), &length) != 0) return "";
  char text[INET6_ADDRSTRLEN] = {};
  const void* where = peer.ss_family == AF_INET6 ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr)
                                                  : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&peer)->sin_addr);
  return ::inet_ntop(peer.ss_family, where, text, sizeof text) ? text : "";
}

SshListener::SshListener(std::string name, std::string bind_address, std::uint16_t port, std::size_t max_connections)
    : name_(std::move(name)), bind_address_(std::move(bind_address)), port_(port), max_connections_(max_connections) {}

SshListener::~SshListener() { stop(); }

Status SshListener::start(SshKey host_key, Handler handler) {
  handler_ = std::move(handler);
  bind_.reset(ssh_bind_new());
  int port = port_;
  ssh_bind_options_set(bind_.get(), SSH_BIND_OPTIONS_BINDADDR, bind_address_.c_str());
  ssh_bind_options_set(bind_.get(), SSH_BIND_OPTIONS_BINDPORT, &port);
  ssh_bind_options_set(bind_.get(), SSH_BIND_OPTIONS_IMPORT_KEY, host_key.release());  // the bind owns it now
  if (ssh_bind_listen(bind_.get()) != SSH_OK) {
    return local_error(name_ + ": cannot listen on " + bind_address_ + ":" + std::to_string(port_) + ": " + ssh_get_error(bind_.get()));
  }
  log(LogLevel::info, name_ + ": listening on " + bind_address_ + ":" + std::to_string(port_));
  acceptor_ = std::thread([this] { accept_loop(); });
  return Ok{};
}

void SshListener::stop(std::chrono::milliseconds drain) {
  stopping_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  for (auto waited = std::chrono::milliseconds(0); waited < drain && connections_ > 0; waited += std::chrono::milliseconds(50)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void SshListener::accept_loop() {
  const int fd = ssh_bind_get_fd(bind_.get());
  while (!stopping_) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    SshSession session(ssh_new());
    if (ssh_bind_accept(bind_.get(), session.get()) != SSH_OK) {
      log(LogLevel::warn, name_ + ": accept failed: " + ssh_get_error(bind_.get()));
      continue;
    }
    const auto address = peer_address(session.get());
    if (connections_ >= max_connections_) {
      log(LogLevel::warn, name_ + ": refusing " + address + ": " + std::to_string(max_connections_) + " connections already");
      continue;
    }
    ++connections_;
    std::thread([this, s = std::move(session), address]() mutable {
      handler_(std::move(s), address);
      --connections_;
    }).detach();
  }
}

}  // namespace sshrelay::libssh
