#pragma once
// An SSH server's listening socket (libssh's ssh_bind) and its accept loop: each accepted connection is
// handed to `handler` on a thread of its own, where libssh's blocking calls are at home, up to a bound
// (more are closed at accept, with a warning). sshwebd's sites and the MOSH gateway each run one.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "core/common/result.hpp"
#include "native/libssh/handles.hpp"

namespace sshrelay::libssh {

class SshListener {
 public:
  using Handler = std::function<void(SshSession session, const std::string& peer_address)>;

  // `name` prefixes log lines and errors ("site docs.example (port 22443)", "gateway").
  SshListener(std::string name, std::string bind_address, std::uint16_t port, std::size_t max_connections);
  ~SshListener();  // stop()
  SshListener(const SshListener&) = delete;
  SshListener& operator=(const SshListener&) = delete;

  // Binds with the host key (the bind owns it then) and starts accepting.
  Status start(SshKey host_key, Handler handler);
  // Stops accepting, then waits (at most `drain`) for the connections' threads to end.
  void stop(std::chrono::milliseconds drain = std::chrono::milliseconds(5000));

 private:
  void accept_loop();

  std::string name_;
  std::string bind_address_;
  std::uint16_t port_;
  std::size_t max_connections_;
  Handler handler_;
  SshBind bind_;
  std::thread acceptor_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> connections_{0};
};

// The client's IP address as text ("" when unknown).
std::string peer_address(ssh_session session);

}  // namespace sshrelay::libssh
