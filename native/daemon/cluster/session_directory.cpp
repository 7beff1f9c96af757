#include "native/daemon/cluster/session_directory.hpp"

#include <boost/asio/post.hpp>

#include "native/common/unix_time.hpp"
#include "native/daemon/log.hpp"

namespace sshrelay::daemon {
namespace {

// A node's record lives this many beats: a node that misses that many is taken for gone.
constexpr int kBeatsToLive = 5;
// While the directory is away, the log says so again at most this often.
constexpr auto kWarningInterval = std::chrono::seconds(30);

}  // namespace

bool directory_holds(std::string_view kind) { return kind == "v4"; }

SessionDirectory::SessionDirectory(RelayContext& ctx, std::string node_id, std::string advertise)
    : ctx_(ctx),
      node_id_(std::move(node_id)),
      advertise_(std::move(advertise)),
      started_ms_(unix_millis_now()),
      strand_(net::make_strand(ctx.ioc)),
      beat_timer_(strand_) {
  cluster_io::RedisConnection::Options options;
  options.url = *ctx.config.cluster.redis;
  options.ca_file = ctx.config.cluster.redis_ca_file;
  redis_ = std::make_shared<cluster_io::RedisConnection>(
      strand_, std::move(options), [this](bool up, const std::string& why) { on_redis_state(up, why); });
  state_since_ms_ = started_ms_;
}

SessionDirectory::~SessionDirectory() = default;

void SessionDirectory::start() {
  redis_->start();
  net::post(strand_, [this] { beat(); });
}

void SessionDirectory::stop(bool withdraw, std::function<void()> done) {
  // The sessions as they are now: the caller ends them next, and their removals, which race with this
  // post, are not published once stopped.
  std::vector<std::string> held;
  for (const auto& session : ctx_.registry.all()) {
    if (directory_holds(session->kind())) held.push_back(session->sid());
  }
  net::post(strand_, [this, withdraw, held = std::move(held), done = std::move(done)]() mutable {
    stopped_ = true;
    beat_timer_.cancel();
    if (!withdraw || !redis_->up()) {
      redis_->stop();
      return done();
    }
    auto commands = cluster::withdraw_node(node_id_);
    for (const auto& sid : held) commands.push_back(cluster::remove_session(sid));
    redis_->send_all(commands, [this, done = std::move(done)](Result<std::vector<cluster_io::RedisReply>> written) mutable {
      if (!written) log(LogLevel::warn, "cluster: could not withdraw node " + node_id_ + ": " + written.error().message);
      redis_->stop();
      done();
    });
  });
}

std::int64_t SessionDirectory::record_ttl_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(ctx_.config.grace).count() +
         kBeatsToLive * ctx_.config.cluster.heartbeat.count();
}

cluster::SessionRecord SessionDirectory::record_of(const Session& session, std::int64_t now_ms) {
  cluster::SessionRecord record{node_id_, session.principal(), std::string(session.kind()), 0};
  if (session.attached()) {
    detached_since_.erase(session.sid());
  } else {
    const auto since = detached_since_.emplace(session.sid(), now_ms).first->second;
    record.expires_ms = since + std::chrono::duration_cast<std::chrono::milliseconds>(ctx_.config.grace).count();
  }
  return record;
}

void SessionDirectory::session_added(const std::shared_ptr<Session>& session) {
  if (!directory_holds(session->kind())) return;
  net::post(strand_, [this, session] {
    if (stopped_ || !redis_->up()) return;  // the next beat after Redis returns publishes it
    redis_->send_all(cluster::publish_session(session->sid(), record_of(*session, unix_millis_now()), record_ttl_ms()),
                     [this](Result<std::vector<cluster_io::RedisReply>> written) {
                       if (!written) note_failure("publishing a session", written.error().message);
                     });
  });
}

void SessionDirectory::session_removed(const std::string& sid, const std::optional<SessionEnding>& ending) {
  net::post(strand_, [this, sid, ending] {
    detached_since_.erase(sid);
    if (stopped_ || !redis_->up()) return;
    std::vector<cluster::Command> commands;
    if (ending) {
      const auto grace_ms = std::chrono::duration_cast<std::chrono::milliseconds>(ctx_.config.grace).count();
      commands = cluster::publish_ending(sid, {ending->principal, ending->code, ending->reason}, std::max<std::int64_t>(grace_ms, 1000));
    } else {
      commands.push_back(cluster::remove_session(sid));
    }
    redis_->send_all(commands, [this](Result<std::vector<cluster_io::RedisReply>> written) {
      if (!written) note_failure("removing a session", written.error().message);
    });
  });
}

void SessionDirectory::beat() {
  if (stopped_) return;
  if (redis_->up()) {
    publish_all(unix_millis_now());
    read_others();
  } else {
    std::lock_guard lock(status_mutex_);
    const auto now = std::chrono::steady_clock::now();
    // (Before the first connection has had its chance, there is nothing to say.)
    if (!last_error_.empty() && now - last_warning_ >= kWarningInterval) {
      last_warning_ = now;
      log(LogLevel::warn, "cluster: the session directory " + ctx_.config.cluster.redis->redacted() + " has been unreachable for " +
                              std::to_string((unix_millis_now() - state_since_ms_) / 1000) + " s (" + last_error_ +
                              "); this node serves its own sessions and refuses reconnects for other nodes' sessions");
    }
  }
  beat_timer_.expires_after(ctx_.config.cluster.heartbeat);
  beat_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) beat();
  });
}

void SessionDirectory::publish_all(std::int64_t now_ms) {
  const auto sessions = ctx_.registry.all();
  cluster::NodeRecord node{node_id_, advertise_, static_cast<std::int64_t>(::getpid()), started_ms_, sessions.size()};
  auto commands = cluster::publish_node(node, ctx_.registry.principal_counts(),
                                        kBeatsToLive * ctx_.config.cluster.heartbeat.count());
  const auto ttl = record_ttl_ms();
  std::set<std::string> live;
  for (const auto& session : sessions) {
    if (!directory_holds(session->kind())) continue;
    live.insert(session->sid());
    for (auto& command : cluster::publish_session(session->sid(), record_of(*session, now_ms), ttl)) {
      commands.push_back(std::move(command));
    }
  }
  std::erase_if(detached_since_, [&](const auto& entry) { return !live.contains(entry.first); });
  redis_->send_all(commands, [this](Result<std::vector<cluster_io::RedisReply>> written) {
    if (!written) note_failure("refreshing this node's records", written.error().message);
  });
}

void SessionDirectory::read_others() {
  redis_->send({"SMEMBERS", cluster::nodes_key()}, [this](Result<cluster_io::RedisReply> members) {
    if (!members || members->type != cluster_io::RedisReply::Type::array) {
      return note_failure("reading the node list", members ? members->text : members.error().message);
    }
    auto ids = members->strings();
    std::erase(ids, node_id_);
    std::vector<cluster::Command> reads;
    for (const auto& id : ids) {
      reads.push_back({"HGETALL", cluster::node_key(id)});
      reads.push_back({"HGETALL", cluster::load_key(id)});
    }
    redis_->send_all(reads, [this, ids](Result<std::vector<cluster_io::RedisReply>> replies) {
      if (!replies) return note_failure("reading the other nodes' load", replies.error().message);
      cluster::ClusterLoad load;
      std::size_t alive = 0;
      for (std::size_t i = 0; i < ids.size(); ++i) {
        auto node = cluster::parse_node_record(ids[i], (*replies)[2 * i].strings());
        if (node && !node->has_value()) {
          // Its record expired: the node is gone. Its membership goes too (another node may do the same).
          redis_->send({"SREM", cluster::nodes_key(), ids[i]}, [](Result<cluster_io::RedisReply>) {});
          continue;
        }
        if (!node) continue;
        ++alive;
        load.add_node(**node, cluster::parse_load((*replies)[2 * i + 1].strings()));
      }
      ctx_.registry.set_elsewhere(std::move(load));
      std::lock_guard lock(status_mutex_);
      other_nodes_ = alive;
    });
  });
}

void SessionDirectory::lookup(const std::string& sid, std::function<void(Result<Lookup>)> done) {
  net::post(strand_, [this, sid, done = std::move(done)]() mutable {
    if (!redis_->up()) {
      std::lock_guard lock(status_mutex_);
      return done(local_error("the session directory is unreachable" + (last_error_.empty() ? "" : " (" + last_error_ + ")")));
    }
    redis_->send_all({{"HGETALL", cluster::session_key(sid)}, {"HGETALL", cluster::ended_key(sid)}},
                     [this, done = std::move(done)](Result<std::vector<cluster_io::RedisReply>> replies) mutable {
                       if (!replies) return done(replies.error());
                       auto record = cluster::parse_session_record((*replies)[0].strings());
                       if (!record) return done(record.error());
                       auto ending = cluster::parse_ending_record((*replies)[1].strings());
                       Lookup found{*record, ending ? *ending : std::nullopt, std::nullopt};
                       if (!found.record) return done(std::move(found));
                       const auto owner = found.record->owner;
                       redis_->send({"HGETALL", cluster::node_key(owner)},
                                    [owner, found = std::move(found), done = std::move(done)](Result<cluster_io::RedisReply> node) mutable {
                                      if (!node) return done(node.error());
                                      auto parsed = cluster::parse_node_record(owner, node->strings());
                                      if (parsed) found.owner = *parsed;
                                      done(std::move(found));
                                    });
                     });
  });
}

void SessionDirectory::on_redis_state(bool up, const std::string& why) {
  std::lock_guard lock(status_mutex_);
  const auto now_ms = unix_millis_now();
  if (up) {
    if (!reachable_) {
      const bool first = last_error_.empty();
      log(LogLevel::info, "cluster: node " + node_id_ + " " + (first ? "joined" : "reached") + " the session directory " +
                              ctx_.config.cluster.redis->redacted() +
                              (first ? "" : " again after " + std::to_string((now_ms - state_since_ms_) / 1000) + " s"));
    }
    reachable_ = true;
    state_since_ms_ = now_ms;
    // Publish at once: sessions that started (or ended) while it was away.
    net::post(strand_, [this] {
      if (!stopped_ && redis_->up()) {
        publish_all(unix_millis_now());
        read_others();
      }
    });
    return;
  }
  last_error_ = why;
  if (reachable_ || last_warning_ == std::chrono::steady_clock::time_point{}) {
    last_warning_ = std::chrono::steady_clock::now();
    log(LogLevel::warn, "cluster: the session directory " + ctx_.config.cluster.redis->redacted() + " is unreachable (" + why +
                            "); this node serves its own sessions and refuses reconnects for other nodes' sessions until it is back");
    state_since_ms_ = now_ms;
  }
  reachable_ = false;
}

void SessionDirectory::note_failure(const std::string& what, const std::string& why) {
  std::lock_guard lock(status_mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (now - last_warning_ < kWarningInterval) return;
  last_warning_ = now;
  log(LogLevel::warn, "cluster: " + what + " in the session directory failed: " + why);
}

bool SessionDirectory::reachable() const {
  std::lock_guard lock(status_mutex_);
  return reachable_;
}

nlohmann::json SessionDirectory::status() const {
  std::lock_guard lock(status_mutex_);
  nlohmann::json out = {{"node", node_id_},
                        {"internal_link", advertise_},
                        {"directory", ctx_.config.cluster.redis->redacted()},
                        {"directory_reachable", reachable_},
                        {"since_unix_ms", state_since_ms_},
                        {"other_nodes", other_nodes_}};
  if (!reachable_ && !last_error_.empty()) out["directory_error"] = last_error_;
  return out;
}

}  // namespace sshrelay::daemon
