#pragma once
// Live sessions by id (so /v4/reconnect can find a detached one), the caps (in total, per principal,
// concurrent per source address), and how recently ended sessions ended. Thread-safe: connections on
// any strand look sessions up.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/cluster/directory_schema.hpp"
#include "native/daemon/session.hpp"

namespace sshrelay::daemon {

class SessionRegistry;

// A place held for a session being admitted, so the caps count sessions still being dialed. Released
// when destroyed unless the session was added with it: no admission path can leak a place.
class SessionSlot {
 public:
  SessionSlot() = default;
  SessionSlot(SessionSlot&& other) noexcept;
  SessionSlot& operator=(SessionSlot&& other) noexcept;
  SessionSlot(const SessionSlot&) = delete;
  SessionSlot& operator=(const SessionSlot&) = delete;
  ~SessionSlot();
  explicit operator bool() const { return registry_ != nullptr; }

 private:
  friend class SessionRegistry;
  SessionSlot(SessionRegistry* registry, std::string principal, std::string source)
      : registry_(registry), principal_(std::move(principal)), source_(std::move(source)) {}
  SessionRegistry* registry_ = nullptr;
  std::string principal_;
  std::string source_;
};

// How a session ended, remembered for a while: a client whose close frame was lost in a drop learns the
// ending instead of "unknown session".
struct SessionEnding {
  std::string principal;
  std::uint16_t code = 0;
  std::string reason;
};

// Told of every session added and removed (the cluster's session directory publishes them). Called
// outside the registry's lock, on the thread that added or removed the session.
class RegistryObserver {
 public:
  virtual ~RegistryObserver() = default;
  virtual void session_added(const std::shared_ptr<Session>& session) = 0;
  virtual void session_removed(const std::string& sid, const std::optional<SessionEnding>& ending) = 0;
};

class SessionRegistry {
 public:
  struct Limits {
    std::size_t total = 10000;
    std::size_t per_principal = 0;  // 0: no cap
    std::size_t per_source = 0;     // concurrent sessions per source address; 0: no cap
  };
  explicit SessionRegistry(Limits limits) : limits_(limits) {}

  enum class Refusal { none, total_full, principal_full, source_full };
  // A slot for a session of `principal` from `source`, or why there is none. An empty principal (a
  // session without an identity) is not held to the per-principal cap.
  SessionSlot reserve(const std::string& principal, const std::string& source, Refusal& refusal);
  // The slot becomes a registered session.
  void add(SessionSlot slot, std::shared_ptr<Session> session);
  // A session taken over from a predecessor process: counted like any, never refused (it exists already).
  void adopt(std::shared_ptr<Session> session, const std::string& principal, const std::string& source);
  std::shared_ptr<Session> find(const std::string& sid) const;
  // Forgets the session; with `ending`, remembers how it ended until `remember_until`.
  void remove(const std::string& sid, std::optional<SessionEnding> ending = std::nullopt,
              std::chrono::steady_clock::time_point remember_until = {});
  // Forgets a session handed to a successor process, without telling the observer (its directory record
  // stays: the successor, the same node, holds the session now).
  void forget(const std::string& sid);
  std::optional<SessionEnding> ending_of(const std::string& sid, std::chrono::steady_clock::time_point now);
  std::vector<std::shared_ptr<Session>> all() const;
  std::size_t size() const;
  // Sessions (and places held) per principal, anonymous ones left out: this node's load, for the cluster.
  std::map<std::string, std::uint64_t> principal_counts() const;

  // In a cluster: the sessions other nodes hold, which the total and per-principal caps count too.
  void set_elsewhere(cluster::ClusterLoad load);
  // Set once, before the first session (run_server).
  void set_observer(RegistryObserver* observer) { observer_ = observer; }

 private:
  friend class SessionSlot;
  struct Entry {
    std::shared_ptr<Session> session;
    std::string principal;
    std::string source;
  };
  struct Remembered {
    SessionEnding ending;
    std::chrono::steady_clock::time_point until;
  };
  void release(const std::string& principal, const std::string& source);  // with mutex_ held
  void release_slot(const std::string& principal, const std::string& source);
  void remember(const std::string& sid, const SessionEnding& ending, std::chrono::steady_clock::time_point until);  // with mutex_ held
  static void decrement(std::unordered_map<std::string, std::size_t>& counts, const std::string& key);

  mutable std::mutex mutex_;
  const Limits limits_;
  std::size_t reserved_ = 0;
  std::unordered_map<std::string, Entry> sessions_;
  std::unordered_map<std::string, std::size_t> per_principal_;  // registered + reserved
  std::unordered_map<std::string, std::size_t> per_source_;
  std::unordered_map<std::string, Remembered> endings_;
  cluster::ClusterLoad elsewhere_;
  RegistryObserver* observer_ = nullptr;
};

}  // namespace sshrelay::daemon
