#include "native/daemon/server.hpp"

#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "native/daemon/audit/audit_log.hpp"
#include "native/daemon/cluster/forward_mac.hpp"
#include "native/daemon/cluster/internal_listener.hpp"
#include "native/daemon/cluster/session_directory.hpp"
#include "native/daemon/cluster/takeover.hpp"
#include "core/wire/close_code.hpp"
#include "native/daemon/identity/authenticator.hpp"
#include "native/daemon/rendezvous/rendezvous_hub.hpp"
#include "native/daemon/listener.hpp"
#include "native/common/unix_time.hpp"
#include "native/daemon/metrics_listener.hpp"
#include "native/daemon/relay_metrics.hpp"
#include "native/daemon/tunnel/tunnel_hub.hpp"
#include "native/daemon/log.hpp"
#include "native/daemon/session.hpp"

namespace sshrelay::daemon {
namespace {

using tcp = boost::asio::ip::tcp;

std::string endpoint_text(const tcp::endpoint& ep) {
  const auto address = ep.address().to_string();
  return (ep.address().is_v6() ? "[" + address + "]" : address) + ":" + std::to_string(ep.port());
}

// Written atomically (rename) so a reader never sees half a file.
void write_ready_file(const std::string& path, const std::vector<std::shared_ptr<Listener>>& listeners,
                      const std::shared_ptr<MetricsListener>& metrics, const std::shared_ptr<InternalListener>& internal,
                      const SessionDirectory* directory) {
  nlohmann::json ready = {{"listen", nlohmann::json::array()}, {"pid", ::getpid()}};
  for (const auto& listener : listeners) ready["listen"].push_back(endpoint_text(listener->local_endpoint()));
  if (metrics) ready["metrics"] = endpoint_text(metrics->local_endpoint());
  if (internal) ready["cluster_listen"] = endpoint_text(internal->local_endpoint());
  if (directory) ready["cluster_node"] = directory->node_id();
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << ready.dump() << "\n";
  std::filesystem::rename(tmp, path);
}

// Each session holds two descriptors (client and target socket). The soft limit is often 1,024 while
// the hard one is far higher: take what the hard limit allows, and say so when it cannot cover
// --max-sessions-total.
void raise_descriptor_limit(std::size_t max_sessions) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  const auto needed = static_cast<rlim_t>(2 * max_sessions + 64);
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
    log(LogLevel::warn, "open-file limit " + std::to_string(limit.rlim_cur) + " covers about " +
                            std::to_string((limit.rlim_cur - std::min<rlim_t>(limit.rlim_cur, 64)) / 2) +
                            " sessions, fewer than --max-sessions-total " + std::to_string(max_sessions) +
                            "; raise it (ulimit -n, LimitNOFILE=) to " + std::to_string(needed));
  }
}

// --cluster-node-id's default: the host's name (what an operator recognises) and 4 random bytes (two
// processes on one host, or a node restarted while its old record lives, never share an id).
std::string default_node_id() {
  std::array<char, 256> host{};
  std::string name = ::gethostname(host.data(), host.size() - 1) == 0 ? std::string(host.data()) : std::string("node");
  std::erase_if(name, [](char c) { return !(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.'); });
  const auto nonce = random_nonce();
  if (!nonce) throw std::runtime_error("no randomness for the cluster node id");
  return (name.empty() ? "node" : name) + "-" + nonce->substr(0, 8);
}

// The same command line plus --takeover, as a new process (its own session: it outlives this one).
pid_t spawn_successor(const std::vector<std::string>& command_line) {
  std::vector<std::string> words = command_line;
  if (std::find(words.begin(), words.end(), "--takeover") == words.end()) words.push_back("--takeover");
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID);
  pid_t pid = -1;
  const int failed = ::posix_spawnp(&pid, argv[0], nullptr, &attributes, argv.data(), environ);
  posix_spawnattr_destroy(&attributes);
  if (failed != 0) {
    errno = failed;
    return -1;
  }
  return pid;
}

LogLevel level_named(const std::string& name) {
  if (name == "debug") return LogLevel::debug;
  if (name == "warn") return LogLevel::warn;
  if (name == "error") return LogLevel::error;
  return LogLevel::info;
}

}  // namespace

int run_server(const DaemonConfig& config_in) {
  DaemonConfig config = config_in;
  set_log_level(level_named(config.log_level));
  raise_descriptor_limit(config.max_sessions_total);
  const unsigned threads = config.threads ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  IoContextPool pool(threads);
  boost::asio::io_context& ioc = pool.main();
  RelayContext ctx(config, pool);

  if (!config.tls_cert.empty()) {
    ctx.tls.emplace(boost::asio::ssl::context::tls_server);
    ctx.tls->set_options(boost::asio::ssl::context::default_workarounds | boost::asio::ssl::context::no_sslv2 |
                         boost::asio::ssl::context::no_sslv3 | boost::asio::ssl::context::no_tlsv1 |
                         boost::asio::ssl::context::no_tlsv1_1);
    ctx.tls->use_certificate_chain_file(config.tls_cert);
    ctx.tls->use_private_key_file(config.tls_key, boost::asio::ssl::context::pem);
  }

  // Identity and audit come up before anything listens. An unreachable JWKS endpoint is not fatal (the
  // relay serves /healthz and refuses v4 requests with 4401 until the keys arrive); an audit sink that
  // cannot start (e.g. an unwritable JSONL file) is: a relay that cannot keep its audit trail stays down.
  identity::Authenticator authenticator(ioc, config.identity);
  ctx.authenticator = &authenticator;
  std::optional<audit::AuditLog> audit_log;
  if (config.audit.any_sink()) {
    audit_log.emplace(config.audit);
    if (auto started = audit_log->start(); !started) throw std::runtime_error("audit: " + started.error().message);
    ctx.audit_log = &*audit_log;
  }
  authenticator.start();
  RendezvousHub rendezvous(ctx, config.rendezvous);
  ctx.rendezvous = &rendezvous;
  RelayMetrics metrics(unix_seconds_now());
  ctx.metrics = &metrics;
  std::optional<TunnelHub> tunnels;
  if (config.tunnels) {
    tunnels.emplace(ctx);
    ctx.tunnels = &*tunnels;
  }
  // A successor takes the running process's listening sockets first: connections wait in the kernel's
  // queue meanwhile, none is refused.
  std::optional<Inherited> inherited;
  if (config.takeover) {
    auto taken = begin_takeover(config.handover_socket);
    if (!taken) throw std::runtime_error(taken.error().message);
    inherited = std::move(*taken);
    if (!inherited->node_id.empty()) config.cluster.node_id = inherited->node_id;
    log(LogLevel::info, "takeover: " + std::to_string(inherited->listeners.size()) + " listening sockets from the process at " +
                            config.handover_socket);
  }
  const auto inherited_fd = [&](const std::string& role, std::size_t index) {
    return inherited ? inherited->fd_for(role, index) : -1;
  };
  // An inherited socket's own address (its bound port, which an ephemeral --listen never names).
  const auto bound_endpoint = [](int fd) {
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length);
    tcp::endpoint endpoint;
    std::memcpy(endpoint.data(), &local, std::min<std::size_t>(length, endpoint.capacity()));
    endpoint.resize(length);
    return endpoint;
  };

  std::shared_ptr<MetricsListener> metrics_listener;
  if (config.metrics_listen && inherited_fd("metrics", 0) >= 0) {
    const int fd = inherited_fd("metrics", 0);
    metrics_listener = std::make_shared<MetricsListener>(ctx, bound_endpoint(fd), fd);
    metrics_listener->run();
  } else if (config.metrics_listen) {
    tcp::resolver resolver(ioc);
    boost::system::error_code ec;
    const auto& where = *config.metrics_listen;
    const auto endpoints = resolver.resolve(where.host, std::to_string(where.port), tcp::resolver::passive, ec);
    if (ec || endpoints.empty()) throw std::runtime_error("cannot resolve --metrics-listen host " + where.host);
    try {
      metrics_listener = std::make_shared<MetricsListener>(ctx, endpoints.begin()->endpoint());
    } catch (const boost::system::system_error& e) {
      throw std::runtime_error("cannot listen on --metrics-listen " + endpoint_text(endpoints.begin()->endpoint()) + ": " +
                               e.code().message());
    }
    metrics_listener->run();
    log(LogLevel::info, "metrics at http://" + endpoint_text(metrics_listener->local_endpoint()) + "/metrics");
  }

  std::vector<std::shared_ptr<Listener>> listeners;
  for (std::size_t i = 0; inherited_fd("public", i) >= 0; ++i) {
    const int fd = inherited_fd("public", i);
    listeners.push_back(std::make_shared<Listener>(ctx, bound_endpoint(fd), fd));
  }
  for (const auto& listen : listeners.empty() ? config.listen : std::vector<ListenAddress>{}) {
    // Names (e.g. localhost) are resolved once, at startup; every address they stand for is bound.
    tcp::resolver resolver(ioc);
    boost::system::error_code ec;
    const auto endpoints = resolver.resolve(listen.host, std::to_string(listen.port), tcp::resolver::passive, ec);
    if (ec) throw std::runtime_error("cannot resolve --listen host " + listen.host + ": " + ec.message());
    for (const auto& entry : endpoints) {
      try {
        listeners.push_back(std::make_shared<Listener>(ctx, entry.endpoint()));
      } catch (const boost::system::system_error& e) {
        throw std::runtime_error("cannot listen on " + endpoint_text(entry.endpoint()) + ": " + e.code().message());
      }
    }
  }
  // An ephemeral first port (tests) becomes the public port once known.
  if (config.public_port == 0) config.public_port = listeners.front()->local_endpoint().port();
  ctx.origins = origin_policy_for(config);
  for (auto& listener : listeners) {
    listener->run();
    log(LogLevel::info, std::string("listening on ") + (ctx.tls ? "https://" : "http://") +
                            endpoint_text(listener->local_endpoint()));
  }
  log(LogLevel::info, describe(config));
  for (const auto& notice : config.notices) log(LogLevel::info, "config: " + notice);
  for (const auto& warning : config.warnings) log(LogLevel::warn, "config: " + warning);
  if (config.dev && config.identity.provider == "none") {
    log(LogLevel::warn, "--dev: nobody is authenticated and loopback targets are allowed; for one developer on "
                        "this machine, never for a relay others can reach");
  } else if (config.identity.provider == "none") {
    log(LogLevel::info, authenticator.describe());
    log(LogLevel::warn, "the relay does not authenticate anyone itself (--identity-provider none): it must be "
                        "reachable only through a proxy that does");
  } else {
    log(LogLevel::info, authenticator.describe());
  }
  if (config.unsafe_allow_loopback) log(LogLevel::warn, "loopback targets are allowed (--unsafe-allow-loopback or --dev)");
  // The cluster: the internal link first (its port is what the node record advertises), then the directory.
  std::shared_ptr<InternalListener> internal_listener;
  std::optional<SessionDirectory> directory;
  if (config.cluster.redis) {
    const auto& where = *config.cluster.listen;
    tcp::resolver resolver(ioc);
    boost::system::error_code ec;
    const auto endpoints = resolver.resolve(where.host, std::to_string(where.port), tcp::resolver::passive, ec);
    if (ec || endpoints.empty()) throw std::runtime_error("cannot resolve --cluster-listen host " + where.host);
    try {
      const int fd = inherited_fd("cluster", 0);
      internal_listener = std::make_shared<InternalListener>(ctx, fd >= 0 ? bound_endpoint(fd) : endpoints.begin()->endpoint(), fd);
    } catch (const boost::system::system_error& e) {
      throw std::runtime_error("cannot listen on --cluster-listen " + endpoint_text(endpoints.begin()->endpoint()) + ": " +
                               e.code().message());
    }
    if (config.cluster.advertise.empty()) config.cluster.advertise = endpoint_text(internal_listener->local_endpoint());
    if (config.cluster.node_id.empty()) config.cluster.node_id = default_node_id();
    directory.emplace(ctx, config.cluster.node_id, config.cluster.advertise);
    ctx.directory = &*directory;
    ctx.registry.set_observer(&*directory);
    internal_listener->run();
    directory->start();
    log(LogLevel::info, "cluster: node " + config.cluster.node_id + ", internal link on " +
                            endpoint_text(internal_listener->local_endpoint()) + " (advertised as " + config.cluster.advertise +
                            "), session directory " + config.cluster.redis->redacted());
  }
  // The successor's sessions: each waits (detached) for its client's reconnect, which the listeners now
  // accept here.
  if (inherited) {
    auto taken = finish_takeover(ctx, *inherited);
    if (!taken) throw std::runtime_error(taken.error().message);
    log(LogLevel::info, "takeover: " + std::to_string(*taken) + " sessions taken over");
  }
  if (!config.ready_file.empty()) {
    write_ready_file(config.ready_file, listeners, metrics_listener, internal_listener, directory ? &*directory : nullptr);
  }

  // Stopping: no new connections, each session closed with 1012 so clients know to come back, a bounded
  // wait for the close frames to go out. `withdraw`: the node leaves the cluster for good (a handover's
  // successor keeps the node id, so then it does not).
  boost::asio::steady_timer shutdown_timer(ioc);
  std::function<void()> poll_drained;
  std::unique_ptr<HandoverOffer> handover;
  const auto shut_down = [&](const std::string& reason, bool withdraw) {
    if (ctx.stopping.exchange(true)) return;
    authenticator.stop();
    rendezvous.stop();
    for (auto& listener : listeners) listener->stop();
    if (metrics_listener) metrics_listener->stop();
    if (internal_listener) internal_listener->stop();
    // A node leaving the cluster withdraws from the directory first, so reconnects landing elsewhere are
    // answered at once rather than forwarded here; its sessions end with the reason in their audit.
    auto withdrawn = std::make_shared<std::atomic<bool>>(!directory);
    if (directory) directory->stop(withdraw, [withdrawn] { *withdrawn = true; });
    for (auto& session : ctx.registry.all()) session->shutdown(close_code::service_restart, reason);
    const auto deadline = std::chrono::steady_clock::now() + config.shutdown_timeout;
    poll_drained = [&, deadline, withdrawn] {
      if ((ctx.registry.size() == 0 && *withdrawn) || std::chrono::steady_clock::now() >= deadline) {
        // Give close frames queued by finishing sessions a moment to reach the wire.
        shutdown_timer.expires_after(std::chrono::milliseconds(200));
        shutdown_timer.async_wait([&](boost::system::error_code) { pool.stop(); });
        return;
      }
      shutdown_timer.expires_after(std::chrono::milliseconds(50));
      shutdown_timer.async_wait([&](boost::system::error_code e) {
        if (!e) poll_drained();
      });
    };
    poll_drained();
  };
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (ec) return;
    log(LogLevel::info, std::string("received ") + (signal == SIGTERM ? "SIGTERM" : "SIGINT") + ", shutting down");
    shut_down(directory ? "relay node is leaving the cluster" : "relay is restarting", true);
  });

  // SIGUSR2: start a successor the way this process was started, plus --takeover (with
  // --handover-socket): the binary at the same path, so an upgraded file is the one that runs.
  boost::asio::signal_set reload(ioc, SIGUSR2);
  std::function<void()> await_reload = [&] {
    reload.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      if (config.handover_socket.empty() || config.command_line.empty()) {
        log(LogLevel::warn, "SIGUSR2: no successor is started without --handover-socket");
      } else if (auto pid = spawn_successor(config.command_line); pid > 0) {
        log(LogLevel::info, "SIGUSR2: started process " + std::to_string(pid) + " to take over");
      } else {
        log(LogLevel::error, std::string("SIGUSR2: the successor could not be started: ") + std::strerror(errno));
      }
      await_reload();
    });
  };
  await_reload();

  // A successor may take this process's place (--handover-socket; native/daemon/cluster/handover.hpp).
  if (!config.handover_socket.empty()) {
    HandoverOffer::Hooks hooks;
    hooks.pass_listeners = [&] {
      std::vector<PassedListener> passed;
      for (auto& listener : listeners) {
        passed.push_back({"public", endpoint_text(listener->local_endpoint()), listener->duplicate_fd()});
        listener->stop();
      }
      if (internal_listener) {
        passed.push_back({"cluster", endpoint_text(internal_listener->local_endpoint()), internal_listener->duplicate_fd()});
        internal_listener->stop();
      }
      if (metrics_listener) {
        passed.push_back({"metrics", endpoint_text(metrics_listener->local_endpoint()), metrics_listener->duplicate_fd()});
        metrics_listener->stop();
      }
      return passed;
    };
    hooks.resume_listening = [&] {
      // The successor failed before any session moved: bind the same addresses again (best effort).
      std::vector<std::shared_ptr<Listener>> again;
      for (auto& listener : listeners) {
        try {
          again.push_back(std::make_shared<Listener>(ctx, listener->local_endpoint()));
          again.back()->run();
        } catch (const boost::system::system_error& e) {
          log(LogLevel::error, std::string("handover failed and the listener cannot be bound again: ") + e.what());
        }
      }
      listeners = std::move(again);
    };
    hooks.exit = [&](std::size_t, std::size_t) { shut_down("relay is restarting", false); };
    handover = std::make_unique<HandoverOffer>(ctx, config.handover_socket, std::move(hooks));
    if (auto offered = handover->start(config.takeover); !offered) throw std::runtime_error(offered.error().message);
    log(LogLevel::info, "offering a handover at " + config.handover_socket + " (sshrelayd --takeover)");
  }

  pool.run();
  if (handover) handover->stop();
  // Sessions are gone (their session.close events queued): give the sinks a bounded time to deliver.
  if (audit_log) audit_log->stop(std::chrono::steady_clock::now() + std::chrono::seconds(3));
  log(LogLevel::info, "stopped");
  return 0;
}

}  // namespace sshrelay::daemon
