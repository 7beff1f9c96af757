#include "core/policy/client_address.hpp"

#include <gtest/gtest.h>

namespace sshrelay {
namespace {

TEST(ClientAddress, ForwardedForIsBelievedOnlyFromTrustedProxies) {
  const std::vector<Cidr> proxies = {*parse_cidr("10.0.0.0/8")};
  EXPECT_EQ(effective_client_address("203.0.113.9", "1.2.3.4", proxies), "203.0.113.9");
  EXPECT_EQ(effective_client_address("10.0.0.2", "198.51.100.7", proxies), "198.51.100.7");
  // The client can prepend anything; only the hop the trusted proxy added counts.
  EXPECT_EQ(effective_client_address("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.3", proxies), "198.51.100.7");
  EXPECT_EQ(effective_client_address("10.0.0.2", "", proxies), "10.0.0.2");
  EXPECT_EQ(effective_client_address("10.0.0.2", "not-an-ip", proxies), "10.0.0.2");
}

// Found by client_address_fuzz: an empty leftmost element was skipped while a blank one was garbage.
TEST(ClientAddress, EveryEmptyOrBlankHopIsGarbage) {
  const std::vector<Cidr> proxies = {*parse_cidr("10.0.0.0/8")};
  EXPECT_EQ(effective_client_address("10.0.0.2", ",10.0.0.3", proxies), "10.0.0.2");
  EXPECT_EQ(effective_client_address("10.0.0.2", " ,10.0.0.3", proxies), "10.0.0.2");
  EXPECT_EQ(effective_client_address("10.0.0.2", "10.0.0.3,", proxies), "10.0.0.2");
  EXPECT_EQ(effective_client_address("10.0.0.2", "10.0.0.4, 10.0.0.3", proxies), "10.0.0.4");  // all trusted
}

}  // namespace
}  // namespace sshrelay
