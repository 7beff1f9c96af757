#pragma once
// What every connection and session of one daemon shares: configuration, the session registry, the
// replay budget, the target policy and the executor to make strands from.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <memory>
#include <mutex>
#include <optional>

#include "core/audit/audit_event.hpp"
#include "core/policy/origin_policy.hpp"
#include "core/policy/target_policy.hpp"
#include "core/policy/token_bucket.hpp"
#include "native/daemon/config.hpp"
#include "native/daemon/io_context_pool.hpp"
#include "native/daemon/replay_budget.hpp"
#include "native/daemon/session_registry.hpp"
#include "native/daemon/source_port_pool.hpp"

namespace sshrelay::daemon {

namespace identity {
class Authenticator;
}
namespace audit {
class AuditLog;
}
class RendezvousHub;
class RelayMetrics;
class TunnelHub;
class SessionDirectory;

namespace net = boost::asio;
using tcp = net::ip::tcp;
// Every connection and session runs on a strand of one of the pool's io_contexts.
using Strand = net::strand<net::io_context::executor_type>;

// Connection attempts per source IP (a TokenBuckets behind a mutex: connects come from every thread).
class ConnectRateLimit {
 public:
  explicit ConnectRateLimit(unsigned per_minute)
      : enabled_(per_minute > 0), buckets_(per_minute / 60.0, per_minute > 0 ? per_minute : 1.0) {}
  bool allow(const std::string& source, TimePoint now) {
    if (!enabled_) return true;
    std::lock_guard lock(mutex_);
    return buckets_.try_take(source, now);
  }

 private:
  bool enabled_;
  std::mutex mutex_;
  TokenBuckets buckets_;
};

// The names the relay answers to: --public-host, the --listen hosts and --allowed-hosts.
HostPolicy host_policy_for(const DaemonConfig& config);
// --allowed-origins, the relay's own origin (--public-host/--public-port) and --require-origin.
OriginPolicy origin_policy_for(const DaemonConfig& config);

struct RelayContext {
  RelayContext(const DaemonConfig& cfg, IoContextPool& io_pool)
      : config(cfg),
        pool(io_pool),
        ioc(io_pool.main()),
        registry({cfg.max_sessions_total, cfg.max_sessions_per_principal, cfg.max_connections_per_ip}),
        budget(cfg.max_replay_memory),
        hosts(host_policy_for(cfg)),
        origins(origin_policy_for(cfg)),
        policy(cfg.target_policy),
        connect_rate(cfg.connect_rate_per_minute),
        source_ports(cfg.source_port_first ? std::make_shared<SourcePortPool>(cfg.source_port_first, cfg.source_port_last)
                                           : nullptr) {}

  const DaemonConfig& config;
  IoContextPool& pool;
  boost::asio::io_context& ioc;  // the pool's main context
  SessionRegistry registry;
  ReplayBudget budget;
  HostPolicy hosts;      // the names requests may carry in Host (DNS rebinding)
  OriginPolicy origins;  // rebuilt by run_server once an ephemeral public port is known
  TargetPolicy policy;
  ConnectRateLimit connect_rate;
  std::shared_ptr<SourcePortPool> source_ports;   // null unless --source-port-range
  std::optional<boost::asio::ssl::context> tls;  // set when the listener terminates TLS
  std::atomic<bool> stopping{false};
  // Both owned by run_server and set before the first connection is accepted. Every v4 request is
  // authenticated: there is no "no authenticator" mode (provider none is an Authenticator too).
  const identity::Authenticator* authenticator = nullptr;
  audit::AuditLog* audit_log = nullptr;  // null: no audit sink configured
  RendezvousHub* rendezvous = nullptr;   // set by run_server
  RelayMetrics* metrics = nullptr;       // set by run_server; counts every audit event
  TunnelHub* tunnels = nullptr;          // set by run_server with --tunnels
  SessionDirectory* directory = nullptr; // set by run_server with --cluster-redis

  // Counts the event for /metrics and hands it to the audit log, which stamps the time (never blocks).
  void audit(AuditEvent event) const;
};

}  // namespace sshrelay::daemon
