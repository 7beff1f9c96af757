#include "native/daemon/target_dialer.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <optional>

#include "native/daemon/close_codes.hpp"

namespace sshrelay::daemon {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// The outcome's socket belongs to `ioc`, so the caller's context must outlive it.
DialOutcome dial(net::io_context& ioc, const std::string& host, std::uint16_t port, DialPolicy policy) {
  ioc.restart();
  std::optional<DialOutcome> result;
  async_dial(ioc.get_executor(), Target{host, port}, policy, std::chrono::seconds(5),
             [&](DialOutcome outcome) { result.emplace(std::move(outcome)); });
  ioc.run_for(std::chrono::seconds(10));
  EXPECT_TRUE(result) << "dial did not finish";
  return result ? std::move(*result) : DialOutcome{net::error::timed_out, 0, "no result", tcp::socket(ioc), {}};
}

TEST(DialPolicy, DeniesLoopbackLinkLocalMulticastAndUnspecifiedByDefault) {
  const DialPolicy policy{};
  for (const char* address : {"127.0.0.1", "::1", "::ffff:127.0.0.1", "169.254.169.254", "0.0.0.0", "224.0.0.1",
                              "fe80::1", "::"}) {
    std::string why;
    EXPECT_FALSE(address_allowed(net::ip::make_address(address), policy, &why)) << address;
    EXPECT_NE(why.find("denied by policy"), std::string::npos) << why;
  }
  EXPECT_TRUE(address_allowed(net::ip::make_address("93.184.216.34"), policy, nullptr));
  EXPECT_TRUE(address_allowed(net::ip::make_address("10.1.2.3"), policy, nullptr));
  EXPECT_FALSE(address_allowed(net::ip::make_address("10.1.2.3"), DialPolicy{false, false}, nullptr));
  EXPECT_TRUE(address_allowed(net::ip::make_address("::ffff:127.0.0.1"), DialPolicy{true, true}, nullptr));
}

TEST(AsyncDial, ANameResolvingToLoopbackIsDeniedWith4403) {
  net::io_context ioc;
  auto outcome = dial(ioc, "localhost", 22, DialPolicy{});
  EXPECT_TRUE(outcome.error);
  EXPECT_EQ(outcome.close_code, close_code::denied);
  EXPECT_NE(outcome.reason.find("loopback"), std::string::npos) << outcome.reason;
}

TEST(AsyncDial, ConnectsToAnAllowedListenerAndReportsRefusalsWith4502) {
  net::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  const auto port = acceptor.local_endpoint().port();
  auto ok = dial(ioc, "127.0.0.1", port, DialPolicy{true, true});
  EXPECT_FALSE(ok.error) << ok.reason;
  EXPECT_TRUE(ok.socket.is_open());
  EXPECT_EQ(ok.endpoint.port(), port);
  acceptor.close();
  auto refused = dial(ioc, "127.0.0.1", port, DialPolicy{true, true});
  EXPECT_EQ(refused.close_code, close_code::dial_failed);
  EXPECT_NE(refused.reason.find("cannot connect to 127.0.0.1:"), std::string::npos) << refused.reason;
}

}  // namespace
}  // namespace sshrelay::daemon
