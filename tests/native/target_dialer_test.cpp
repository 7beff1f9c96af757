#include "native/daemon/target_dialer.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <optional>

#include "core/wire/close_code.hpp"

namespace sshrelay::daemon {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// The outcome's socket belongs to `ioc`, so the caller's context must outlive it.
TargetPolicy policy_with(bool allow_loopback) {
  TargetPolicyConfig config;
  config.allow_loopback = allow_loopback;
  return TargetPolicy(config);
}

DialOutcome dial(net::io_context& ioc, const std::string& host, std::uint16_t port, const TargetPolicy& policy,
                 std::shared_ptr<SourcePortPool> pool = nullptr) {
  ioc.restart();
  std::optional<DialOutcome> result;
  async_dial(ioc.get_executor(), DialRequest{Target{host, port}, PrincipalView{"tester", {}, {}}, &policy, pool, std::chrono::seconds(30)},
             [&](DialOutcome outcome) { result.emplace(std::move(outcome)); });
  ioc.run_for(std::chrono::seconds(60));  // returns as soon as the dial is done
  EXPECT_TRUE(result) << "dial did not finish";
  return result ? std::move(*result) : DialOutcome{net::error::timed_out, 0, "no result", tcp::socket(ioc), {}, nullptr, false};
}

TEST(CheckAddress, AppliesThePolicyToAsioAddressesOfBothFamilies) {
  const auto strict = policy_with(false);
  const PrincipalView who{"tester", {}, {}};
  for (const char* address : {"127.0.0.1", "::1", "::ffff:127.0.0.1", "169.254.169.254", "0.0.0.0", "224.0.0.1",
                              "fe80::1", "::"}) {
    EXPECT_FALSE(check_address(strict, net::ip::make_address(address), 22, who)) << address;
  }
  EXPECT_TRUE(check_address(strict, net::ip::make_address("93.184.216.34"), 22, who));
  EXPECT_TRUE(check_address(policy_with(true), net::ip::make_address("::ffff:127.0.0.1"), 22, who));
}

TEST(AsyncDial, ANameResolvingToLoopbackIsDeniedWith4403) {
  net::io_context ioc;
  auto outcome = dial(ioc, "localhost", 22, policy_with(false));
  EXPECT_TRUE(outcome.error);
  EXPECT_EQ(outcome.close_code, close_code::denied);
  EXPECT_NE(outcome.reason.find("loopback"), std::string::npos) << outcome.reason;
}

TEST(AsyncDial, ConnectsToAnAllowedListenerAndReportsRefusalsWith4502) {
  net::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  const auto port = acceptor.local_endpoint().port();
  auto ok = dial(ioc, "127.0.0.1", port, policy_with(true));
  EXPECT_FALSE(ok.error) << ok.reason;
  EXPECT_TRUE(ok.socket.is_open());
  EXPECT_EQ(ok.endpoint.port(), port);
  acceptor.close();
  auto refused = dial(ioc, "127.0.0.1", port, policy_with(true));
  EXPECT_EQ(refused.close_code, close_code::dial_failed);
  EXPECT_NE(refused.reason.find("cannot connect to 127.0.0.1:"), std::string::npos) << refused.reason;
}

}  // namespace
}  // namespace sshrelay::daemon

namespace sshrelay::daemon {
namespace {

TEST(AsyncDial, PinsTheSourcePortFromThePoolAndReportsExhaustion) {
  net::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  const auto port = acceptor.local_endpoint().port();
  const auto policy = policy_with(true);
  // Outside the kernel's ephemeral range (32768-60999), so no stray connection holds these ports.
  auto pool = std::make_shared<SourcePortPool>(20400, 20401);
  auto first = dial(ioc, "127.0.0.1", port, policy, pool);
  ASSERT_FALSE(first.error) << first.reason;
  tcp::socket accepted(ioc);
  acceptor.accept(accepted);
  const auto seen = accepted.remote_endpoint().port();  // what the target observes
  EXPECT_GE(seen, 20400);
  EXPECT_LE(seen, 20401);
  EXPECT_EQ(first.source_port->port(), seen);
  auto second = dial(ioc, "127.0.0.1", port, policy, pool);
  ASSERT_FALSE(second.error) << second.reason;
  auto third = dial(ioc, "127.0.0.1", port, policy, pool);
  EXPECT_EQ(third.close_code, close_code::port_pool_exhausted);
  first.source_port.reset();  // a lease comes back when its connection ends
  EXPECT_EQ(pool->in_use(), 1u);
}

}  // namespace
}  // namespace sshrelay::daemon
