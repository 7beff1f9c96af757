#pragma once
// Resolves a user-chosen target once, checks every address against the policy and dials only addresses
// that passed: no second lookup, so DNS rebinding cannot swap in a forbidden address (design.md §5).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/address_class.hpp"
#include "core/target.hpp"

namespace sshrelay::daemon {

struct DialPolicy {
  bool allow_loopback = false;
  bool allow_private = true;
};

// Whether `policy` lets the relay connect to `address`, and if not, why (for the close reason).
bool address_allowed(const boost::asio::ip::address& address, const DialPolicy& policy, std::string* why);

struct DialOutcome {
  boost::system::error_code error;      // set when no connection was made
  std::uint16_t close_code = 0;         // 4403 (policy) or 4502 (resolve/connect failed) on error
  std::string reason;                   // for the user, on error
  boost::asio::ip::tcp::socket socket;  // connected on success
  boost::asio::ip::tcp::endpoint endpoint;
};

// Dials on `executor` (the socket is created there); `done` runs on that executor.
void async_dial(boost::asio::any_io_executor executor, const Target& target, const DialPolicy& policy,
                std::chrono::milliseconds timeout, std::function<void(DialOutcome)> done);

}  // namespace sshrelay::daemon
