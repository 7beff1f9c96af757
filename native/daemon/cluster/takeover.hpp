#pragma once
// Both ends of a handover (native/daemon/cluster/handover.hpp has the exchange): the running process's
// offer, served on a thread of its own, and the successor's takeover, done before it serves.
#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "core/common/result.hpp"
#include "native/daemon/relay_context.hpp"

namespace sshrelay::daemon {

// A listening socket passed on: its role ("public", "cluster", "metrics") and address, for the log.
struct PassedListener {
  std::string role;
  std::string address;
  int fd = -1;
};

// --- the successor ---
struct Inherited {
  int socket = -1;  // the handover socket, still open: finish_takeover() uses and closes it
  std::string node_id;
  std::vector<PassedListener> listeners;
  int fd_for(const std::string& role, std::size_t index) const;  // -1 when not passed
};
// Connects, introduces itself, and receives the listening sockets (the predecessor stops accepting).
Result<Inherited> begin_takeover(const std::string& path);
// Receives the sessions and adopts them (registered, waiting for their clients), then tells the
// predecessor it may exit. Returns how many were taken.
Result<std::size_t> finish_takeover(RelayContext& ctx, Inherited& inherited);

// --- the running process ---
class HandoverOffer {
 public:
  struct Hooks {
    // On the main context: the listening sockets' copies; the listeners stop accepting.
    std::function<std::vector<PassedListener>()> pass_listeners;
    // The successor failed before any session moved: accept again.
    std::function<void()> resume_listening;
    // The successor has everything: end this process (the sessions that stayed close with 1012).
    std::function<void(std::size_t handed, std::size_t stayed)> exit;
  };
  HandoverOffer(RelayContext& ctx, std::string path, Hooks hooks);
  ~HandoverOffer();
  // Listens on the socket (errors name the path) and serves successors on a thread. `replace`: this
  // process took over from the one at the path.
  Status start(bool replace);
  void stop();

 private:
  void serve();
  void give_to(int successor);

  RelayContext& ctx_;
  std::string path_;
  Hooks hooks_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace sshrelay::daemon
