#pragma once
// What every connection and session of one daemon shares: configuration, the session registry, the
// replay budget and the executor to make strands from.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <optional>

#include "core/origin_policy.hpp"
#include "native/daemon/config.hpp"
#include "native/daemon/replay_budget.hpp"
#include "native/daemon/session_registry.hpp"

namespace sshrelay::daemon {

namespace net = boost::asio;
using tcp = net::ip::tcp;
// Every connection and session runs on a strand of the one io_context.
using Strand = net::strand<net::io_context::executor_type>;

struct RelayContext {
  RelayContext(const DaemonConfig& cfg, boost::asio::io_context& io)
      : config(cfg), ioc(io), registry(cfg.max_sessions_total), budget(cfg.max_replay_memory), origins(cfg.allowed_origins) {}

  const DaemonConfig& config;
  boost::asio::io_context& ioc;
  SessionRegistry registry;
  ReplayBudget budget;
  OriginPolicy origins;
  std::optional<boost::asio::ssl::context> tls;  // set when the listener terminates TLS
  std::atomic<bool> stopping{false};
};

}  // namespace sshrelay::daemon
