#include "core/policy/cidr.hpp"

#include <gtest/gtest.h>

namespace sshrelay {
namespace {

TEST(Cidr, ParsesIpv4AndIpv6BlocksAndSingleHosts) {
  auto v4 = parse_cidr("10.0.0.0/8");
  ASSERT_TRUE(v4) << v4.error().message;
  EXPECT_TRUE(v4->contains(Ipv4Bytes{10, 200, 1, 1}));
  EXPECT_FALSE(v4->contains(Ipv4Bytes{11, 0, 0, 1}));
  EXPECT_EQ(v4->to_string(), "10.0.0.0/8");
  // IPv4 blocks also match the IPv4-mapped IPv6 spelling.
  EXPECT_TRUE(v4->contains(*parse_ipv6("::ffff:10.1.2.3")));

  auto host = parse_cidr("192.0.2.7");
  ASSERT_TRUE(host);
  EXPECT_TRUE(host->contains(Ipv4Bytes{192, 0, 2, 7}));
  EXPECT_FALSE(host->contains(Ipv4Bytes{192, 0, 2, 8}));

  auto v6 = parse_cidr("2001:db8::/32");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(*parse_ipv6("2001:db8:1::1")));
  EXPECT_FALSE(v6->contains(*parse_ipv6("2001:db9::1")));
  EXPECT_TRUE(parse_cidr("0.0.0.0/0")->contains(Ipv4Bytes{8, 8, 8, 8}));
}

TEST(Cidr, RejectsBadInputWithAReason) {
  EXPECT_NE(parse_cidr("10.0.0.1/8").error().message.find("did you mean 10.0.0.0/8"), std::string::npos);
  EXPECT_NE(parse_cidr("10.0.0.0/33").error().message.find("0-32"), std::string::npos);
  EXPECT_NE(parse_cidr("example.com/8").error().message.find("not an IP address"), std::string::npos);
  EXPECT_FALSE(parse_cidr("10.0.0.0/"));
  EXPECT_FALSE(parse_cidr("::/129"));
}

}  // namespace
}  // namespace sshrelay
