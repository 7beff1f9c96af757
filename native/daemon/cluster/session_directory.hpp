#pragma once
// This node's part in the cluster's session directory (docs/cluster.md): it registers the node and
// keeps its record alive, publishes every resumable session it holds (and how each ended), reads the
// other nodes' load for the caps, and looks sessions up for reconnects that land here. Redis being
// away never stops the node: it serves its own sessions, refuses cross-node reconnects until Redis is
// back, says so once per interval in the log, and catches up on its own (every beat republishes all).
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "core/cluster/directory_schema.hpp"
#include "native/daemon/cluster/redis_connection.hpp"
#include "native/daemon/relay_context.hpp"
#include "native/daemon/session_registry.hpp"

namespace sshrelay::daemon {

class SessionDirectory final : public RegistryObserver {
 public:
  // `advertise`: host:port where this node's internal link is reached.
  SessionDirectory(RelayContext& ctx, std::string node_id, std::string advertise);
  ~SessionDirectory() override;

  void start();
  // Stops the heartbeat. `withdraw`: the node leaves for good (its record and session records are
  // removed, so other nodes answer reconnects at once instead of trying it); `done` runs when that is
  // written or has failed (at most about a second).
  void stop(bool withdraw, std::function<void()> done);

  const std::string& node_id() const { return node_id_; }

  // RegistryObserver (any thread).
  void session_added(const std::shared_ptr<Session>& session) override;
  void session_removed(const std::string& sid, const std::optional<SessionEnding>& ending) override;

  struct Lookup {
    std::optional<cluster::SessionRecord> record;
    std::optional<cluster::SessionEndingRecord> ending;  // when there is no record: how it ended, if recently
    std::optional<cluster::NodeRecord> owner;            // the record's owner, if its node is alive
  };
  // Looks `sid` up; `done` runs on the directory's strand with the answer, or an error when the
  // directory cannot be asked (Redis down or failing).
  void lookup(const std::string& sid, std::function<void(Result<Lookup>)> done);

  // For /statz and /healthz (any thread).
  bool reachable() const;
  nlohmann::json status() const;

 private:
  void beat();
  void publish_all(std::int64_t now_ms);
  void read_others();
  void on_redis_state(bool up, const std::string& why);
  void note_failure(const std::string& what, const std::string& why);
  cluster::SessionRecord record_of(const Session& session, std::int64_t now_ms);
  std::int64_t record_ttl_ms() const;

  RelayContext& ctx_;
  const std::string node_id_;
  const std::string advertise_;
  const std::int64_t started_ms_;
  cluster_io::RedisConnection::Strand strand_;
  std::shared_ptr<cluster_io::RedisConnection> redis_;
  boost::asio::steady_timer beat_timer_;
  bool stopped_ = false;
  std::map<std::string, std::int64_t> detached_since_;  // sid -> Unix ms it was first seen detached (strand)

  mutable std::mutex status_mutex_;
  bool reachable_ = false;
  std::int64_t state_since_ms_ = 0;
  std::string last_error_;
  std::size_t other_nodes_ = 0;
  std::chrono::steady_clock::time_point last_warning_{};
};

// Whether a session kind is published (one that can resume through /v4/reconnect).
bool directory_holds(std::string_view kind);

}  // namespace sshrelay::daemon
