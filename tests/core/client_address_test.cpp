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

TEST(ClientAddress, SingleAddressHeadersFromTrustedProxiesComeFirst) {
  const std::vector<Cidr> proxies = {*parse_cidr("127.0.0.1/32")};
  EXPECT_EQ(effective_client_address("127.0.0.1", ProxyHeaders{"203.0.113.7", "198.51.100.1", "192.0.2.1"}, proxies),
            "203.0.113.7");
  EXPECT_EQ(effective_client_address("127.0.0.1", ProxyHeaders{"", " 198.51.100.1 ", "192.0.2.1"}, proxies),
            "198.51.100.1");
  EXPECT_EQ(effective_client_address("127.0.0.1", ProxyHeaders{"", "", "192.0.2.1"}, proxies), "192.0.2.1");
  EXPECT_EQ(effective_client_address("127.0.0.1", ProxyHeaders{"2001:db8::7", "", ""}, proxies), "2001:db8::7");
  // Not one address: ignored, the next header decides.
  EXPECT_EQ(effective_client_address("127.0.0.1", ProxyHeaders{"1.2.3.4, 5.6.7.8", "x", "192.0.2.1"}, proxies),
            "192.0.2.1");
  // From anyone else none of them counts.
  EXPECT_EQ(effective_client_address("10.9.9.9", ProxyHeaders{"203.0.113.7", "198.51.100.1", "192.0.2.1"}, proxies),
            "10.9.9.9");
}

}  // namespace
}  // namespace sshrelay
