#pragma once
// Live relay sessions by id, so /v4/reconnect can find a detached one. Thread-safe: connections on any
// strand look sessions up.
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace sshrelay::daemon {

class RelaySession;

class SessionRegistry {
 public:
  explicit SessionRegistry(std::size_t max_sessions) : max_sessions_(max_sessions) {}

  // Holds a place for a session about to be dialed, so the cap counts connects in progress.
  bool try_reserve();
  void cancel_reservation();
  // Turns a reservation into a registered session.
  void add(const std::string& sid, std::shared_ptr<RelaySession> session);
  std::shared_ptr<RelaySession> find(const std::string& sid) const;
  void remove(const std::string& sid);

  std::vector<std::shared_ptr<RelaySession>> all() const;
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  const std::size_t max_sessions_;
  std::size_t reserved_ = 0;
  std::unordered_map<std::string, std::shared_ptr<RelaySession>> sessions_;
};

}  // namespace sshrelay::daemon
