#pragma once
// Live relay sessions by id, so /v4/reconnect can find a detached one, plus the session caps (total and
// per principal). Thread-safe: connections on any strand look sessions up.
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
  // per_principal 0: no per-principal cap.
  SessionRegistry(std::size_t max_total, std::size_t max_per_principal)
      : max_total_(max_total), max_per_principal_(max_per_principal) {}

  enum class Reservation { granted, total_full, principal_full };
  // Holds a place for a session about to be dialed, so the caps count connects in progress.
  Reservation try_reserve(const std::string& principal);
  void cancel_reservation(const std::string& principal);
  // Turns a reservation into a registered session.
  void add(const std::string& sid, const std::string& principal, std::shared_ptr<RelaySession> session);
  std::shared_ptr<RelaySession> find(const std::string& sid) const;
  void remove(const std::string& sid);

  std::vector<std::shared_ptr<RelaySession>> all() const;
  std::size_t size() const;

 private:
  struct Entry {
    std::shared_ptr<RelaySession> session;
    std::string principal;
  };
  void release_principal(const std::string& principal);

  mutable std::mutex mutex_;
  const std::size_t max_total_;
  const std::size_t max_per_principal_;
  std::size_t reserved_ = 0;
  std::unordered_map<std::string, Entry> sessions_;
  std::unordered_map<std::string, std::size_t> per_principal_;  // registered + reserved
};

}  // namespace sshrelay::daemon
