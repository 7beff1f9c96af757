#pragma once
// Resolves a user-chosen target once, checks every address against the target policy and dials only
// addresses that passed: no second lookup, so DNS rebinding cannot swap in a forbidden address
// (design.md §5). With source-port pinning, the socket is bound to a leased port before connecting.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/policy/target.hpp"
#include "core/policy/target_policy.hpp"
#include "native/daemon/source_port_pool.hpp"

namespace sshrelay::daemon {

// The policy's verdict on one resolved address.
Status check_address(const TargetPolicy& policy, const boost::asio::ip::address& address, std::uint16_t port,
                     const PrincipalView& principal);

struct DialRequest {
  Target target;
  PrincipalView principal;
  const TargetPolicy* policy = nullptr;            // must outlive the dial; null: an operator's fixed target
  std::shared_ptr<SourcePortPool> source_ports;    // null: the kernel picks the source port
  std::chrono::milliseconds timeout{10000};
};

struct DialOutcome {
  boost::system::error_code error;      // set when no connection was made
  std::uint16_t close_code = 0;         // 4403 policy, 4502 resolve/connect, 4503 source ports exhausted
  std::string reason;                   // for the user, on error
  boost::asio::ip::tcp::socket socket;  // connected on success
  boost::asio::ip::tcp::endpoint endpoint;
  std::unique_ptr<PortLease> source_port;  // held for the connection's life when pinning
  bool policy_denied = false;
};

// Dials on `executor` (the socket is created there); `done` runs on that executor.
void async_dial(boost::asio::any_io_executor executor, DialRequest request, std::function<void(DialOutcome)> done);

}  // namespace sshrelay::daemon
