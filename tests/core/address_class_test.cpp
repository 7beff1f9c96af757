#include "core/policy/address_class.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sshrelay {
namespace {

AddressClass v4(std::string_view text) {
  const auto bytes = parse_ipv4(text);
  EXPECT_TRUE(bytes.has_value()) << text;
  return bytes ? classify_address(*bytes) : AddressClass::reserved;
}

AddressClass v6(std::string_view text) {
  const auto bytes = parse_ipv6(text);
  EXPECT_TRUE(bytes.has_value()) << text;
  return bytes ? classify_address(*bytes) : AddressClass::reserved;
}

TEST(AddressClass, ClassifiesIpv4) {
  EXPECT_EQ(v4("0.0.0.0"), AddressClass::unspecified);
  EXPECT_EQ(v4("0.1.2.3"), AddressClass::unspecified);
  EXPECT_EQ(v4("127.0.0.1"), AddressClass::loopback);
  EXPECT_EQ(v4("127.255.255.254"), AddressClass::loopback);
  EXPECT_EQ(v4("169.254.169.254"), AddressClass::link_local);
  EXPECT_EQ(v4("169.254.0.0"), AddressClass::link_local);
  EXPECT_EQ(v4("224.0.0.1"), AddressClass::multicast);
  EXPECT_EQ(v4("239.255.255.255"), AddressClass::multicast);
  EXPECT_EQ(v4("10.0.0.1"), AddressClass::private_network);
  EXPECT_EQ(v4("10.255.255.255"), AddressClass::private_network);
  EXPECT_EQ(v4("172.16.0.1"), AddressClass::private_network);
  EXPECT_EQ(v4("172.31.255.255"), AddressClass::private_network);
  EXPECT_EQ(v4("192.168.1.1"), AddressClass::private_network);
  EXPECT_EQ(v4("100.64.0.1"), AddressClass::private_network);
  EXPECT_EQ(v4("100.127.255.255"), AddressClass::private_network);
  EXPECT_EQ(v4("255.255.255.255"), AddressClass::reserved);
  EXPECT_EQ(v4("240.0.0.1"), AddressClass::reserved);
  EXPECT_EQ(v4("192.0.2.1"), AddressClass::reserved);
  EXPECT_EQ(v4("198.18.0.1"), AddressClass::reserved);
  EXPECT_EQ(v4("198.51.100.7"), AddressClass::reserved);
  EXPECT_EQ(v4("203.0.113.9"), AddressClass::reserved);
}

TEST(AddressClass, Ipv4RangeEdgesArePublic) {
  EXPECT_EQ(v4("1.1.1.1"), AddressClass::public_network);
  EXPECT_EQ(v4("8.8.8.8"), AddressClass::public_network);
  EXPECT_EQ(v4("9.255.255.255"), AddressClass::public_network);
  EXPECT_EQ(v4("11.0.0.0"), AddressClass::public_network);
  EXPECT_EQ(v4("126.255.255.255"), AddressClass::public_network);
  EXPECT_EQ(v4("128.0.0.0"), AddressClass::public_network);
  EXPECT_EQ(v4("169.253.255.255"), AddressClass::public_network);
  EXPECT_EQ(v4("169.255.0.0"), AddressClass::public_network);
  EXPECT_EQ(v4("172.15.255.255"), AddressClass::public_network);
  EXPECT_EQ(v4("172.32.0.0"), AddressClass::public_network);
  EXPECT_EQ(v4("192.167.255.255"), AddressClass::public_network);
  EXPECT_EQ(v4("192.169.0.0"), AddressClass::public_network);
  EXPECT_EQ(v4("100.63.255.255"), AddressClass::public_network);
  EXPECT_EQ(v4("100.128.0.0"), AddressClass::public_network);
  EXPECT_EQ(v4("223.255.255.255"), AddressClass::public_network);
}

TEST(AddressClass, ClassifiesIpv6) {
  EXPECT_EQ(v6("::"), AddressClass::unspecified);
  EXPECT_EQ(v6("::1"), AddressClass::loopback);
  EXPECT_EQ(v6("fe80::1"), AddressClass::link_local);
  EXPECT_EQ(v6("febf:ffff::1"), AddressClass::link_local);
  EXPECT_EQ(v6("ff02::1"), AddressClass::multicast);
  EXPECT_EQ(v6("ff05::1:3"), AddressClass::multicast);
  EXPECT_EQ(v6("fc00::1"), AddressClass::private_network);
  EXPECT_EQ(v6("fd12:3456:789a::1"), AddressClass::private_network);
  EXPECT_EQ(v6("fec0::1"), AddressClass::private_network);
  EXPECT_EQ(v6("2001:db8::1"), AddressClass::reserved);
  EXPECT_EQ(v6("100::1"), AddressClass::reserved);
  EXPECT_EQ(v6("::2"), AddressClass::reserved);
  EXPECT_EQ(v6("::127.0.0.1"), AddressClass::reserved);
  EXPECT_EQ(v6("2606:4700:4700::1111"), AddressClass::public_network);
  EXPECT_EQ(v6("2001:4860:4860::8888"), AddressClass::public_network);
  EXPECT_EQ(v6("fbff:ffff::1"), AddressClass::public_network);
  EXPECT_EQ(v6("fe00::1"), AddressClass::public_network);
}

// The bypass the policy must not allow: a v4 address in v6 clothing.
TEST(AddressClass, ClassifiesMappedIpv6AsItsIpv4) {
  EXPECT_EQ(v6("::ffff:127.0.0.1"), AddressClass::loopback);
  EXPECT_EQ(v6("::ffff:7f00:1"), AddressClass::loopback);
  EXPECT_EQ(v6("::ffff:169.254.169.254"), AddressClass::link_local);
  EXPECT_EQ(v6("::ffff:0.0.0.0"), AddressClass::unspecified);
  EXPECT_EQ(v6("::ffff:224.0.0.1"), AddressClass::multicast);
  EXPECT_EQ(v6("::ffff:10.1.2.3"), AddressClass::private_network);
  EXPECT_EQ(v6("::ffff:8.8.8.8"), AddressClass::public_network);
  EXPECT_EQ(v6("64:ff9b::127.0.0.1"), AddressClass::loopback);
  EXPECT_EQ(v6("64:ff9b::8.8.8.8"), AddressClass::public_network);
}

// Issue #10 F3: the other IPv6 forms that carry an IPv4 address were dialed as public.
TEST(AddressClass, ClassifiesEveryIpv6FormThatCarriesIpv4AsThatAddress) {
  // SIIT IPv4-translated, ::ffff:0:0:0/96
  EXPECT_EQ(v6("::ffff:0:127.0.0.1"), AddressClass::loopback);
  EXPECT_EQ(v6("::ffff:0:a9fe:a9fe"), AddressClass::link_local);
  EXPECT_EQ(v6("::ffff:0:8.8.8.8"), AddressClass::public_network);
  // 6to4, 2002:AABB:CCDD::/48
  EXPECT_EQ(v6("2002:7f00:1::"), AddressClass::loopback);
  EXPECT_EQ(v6("2002:a9fe:a9fe::1"), AddressClass::link_local);
  EXPECT_EQ(v6("2002:0a00:0001:1:2:3:4:5"), AddressClass::private_network);
  EXPECT_EQ(v6("2002:0000:0000::"), AddressClass::unspecified);
  EXPECT_EQ(v6("2002:0808:0808::1"), AddressClass::public_network);
  // Teredo, 2001:0:SERVER:flags:port:~CLIENT
  EXPECT_EQ(v6("2001:0:0808:0808:0:0:80ff:fffe"), AddressClass::loopback);    // client ~80ff:fffe = 127.0.0.1
  EXPECT_EQ(v6("2001:0:0808:0808:0:0:5601:5601"), AddressClass::link_local);  // client 169.254.169.254, inverted
  EXPECT_EQ(v6("2001:0:7f00:1:0:0:f7f7:f7f7"), AddressClass::loopback);       // server 127.0.0.1, client 8.8.8.8
  EXPECT_EQ(v6("2001:0:0808:0808:0:0:f7f7:f7f7"), AddressClass::public_network);
  // Local-use NAT64 (RFC 8215): the IPv4 address may sit at several places; never dialed by class.
  EXPECT_EQ(v6("64:ff9b:1::7f00:1"), AddressClass::reserved);
  EXPECT_EQ(v6("64:ff9b:1:7f00:0:100::"), AddressClass::reserved);
  // Neighbours of those prefixes stay what they were.
  EXPECT_EQ(v6("2001:4860::8888"), AddressClass::public_network);
  EXPECT_EQ(v6("2003::1"), AddressClass::public_network);
  EXPECT_EQ(v6("64:ff9b:2::1"), AddressClass::public_network);
}

TEST(AddressClass, CarriedIpv4AndStricter) {
  EXPECT_EQ(carried_ipv4(*parse_ipv6("2002:c000:0204::1")), (std::vector<Ipv4Bytes>{{192, 0, 2, 4}}));
  EXPECT_EQ(carried_ipv4(*parse_ipv6("::ffff:10.0.0.1")), (std::vector<Ipv4Bytes>{{10, 0, 0, 1}}));
  // Teredo: the client (inverted in the last 32 bits), then the server.
  EXPECT_EQ(carried_ipv4(*parse_ipv6("2001:0:7f00:1::5601:5601")),
            (std::vector<Ipv4Bytes>{{169, 254, 169, 254}, {127, 0, 0, 1}}));
  EXPECT_TRUE(carried_ipv4(*parse_ipv6("2606:4700::1")).empty());
  // Never-allowed classes before those a switch allows.
  EXPECT_EQ(stricter(AddressClass::public_network, AddressClass::loopback), AddressClass::loopback);
  EXPECT_EQ(stricter(AddressClass::loopback, AddressClass::link_local), AddressClass::link_local);
  EXPECT_EQ(stricter(AddressClass::private_network, AddressClass::reserved), AddressClass::reserved);
  EXPECT_EQ(v6("2001:0:7f00:1::5601:5601"), AddressClass::link_local);
}

TEST(AddressClass, ClassifiesRawBytes) {
  EXPECT_EQ(classify_address(Ipv4Bytes{169, 254, 169, 254}), AddressClass::link_local);
  Ipv6Bytes mapped{};
  mapped[10] = 0xff;
  mapped[11] = 0xff;
  mapped[12] = 127;
  mapped[15] = 1;
  EXPECT_EQ(classify_address(mapped), AddressClass::loopback);
}

TEST(AddressClass, NamesAreStable) {
  EXPECT_EQ(to_string(AddressClass::unspecified), "unspecified");
  EXPECT_EQ(to_string(AddressClass::loopback), "loopback");
  EXPECT_EQ(to_string(AddressClass::link_local), "link_local");
  EXPECT_EQ(to_string(AddressClass::multicast), "multicast");
  EXPECT_EQ(to_string(AddressClass::private_network), "private_network");
  EXPECT_EQ(to_string(AddressClass::reserved), "reserved");
  EXPECT_EQ(to_string(AddressClass::public_network), "public_network");
}

TEST(ParseIpv4, AcceptsDottedQuads) {
  EXPECT_EQ(parse_ipv4("0.0.0.0"), (Ipv4Bytes{0, 0, 0, 0}));
  EXPECT_EQ(parse_ipv4("192.168.1.254"), (Ipv4Bytes{192, 168, 1, 254}));
  EXPECT_EQ(parse_ipv4("255.255.255.255"), (Ipv4Bytes{255, 255, 255, 255}));
}

// Every form inet_aton() would also accept, each an alias of a real address.
TEST(ParseIpv4, RejectsAmbiguousForms) {
  for (const std::string_view text :
       {"127.1", "127.0.1", "2130706433", "0x7f.0.0.1", "0177.0.0.1", "01.2.3.4", "1.2.3.4.", ".1.2.3.4", "1.2.3.4.5",
        "256.0.0.1", "1.2.3.999", "1..2.3", "", "1.2.3.-4", "1.2.3.4 ", "١.2.3.4"}) {
    EXPECT_FALSE(parse_ipv4(text).has_value()) << text;
  }
}

TEST(ParseIpv6, AcceptsRfc4291Forms) {
  Ipv6Bytes loopback{};
  loopback[15] = 1;
  EXPECT_EQ(parse_ipv6("::1"), loopback);
  EXPECT_EQ(parse_ipv6("0:0:0:0:0:0:0:1"), loopback);
  EXPECT_EQ(parse_ipv6("0000:0000:0000:0000:0000:0000:0000:0001"), loopback);
  EXPECT_EQ(parse_ipv6("::"), Ipv6Bytes{});

  const auto full = parse_ipv6("2001:DB8:0:0:8:800:200C:417A");
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full, parse_ipv6("2001:db8::8:800:200c:417a"));
  EXPECT_EQ((*full)[0], 0x20);
  EXPECT_EQ((*full)[1], 0x01);
  EXPECT_EQ((*full)[15], 0x7a);

  const auto trailing = parse_ipv6("fe80::");
  ASSERT_TRUE(trailing.has_value());
  EXPECT_EQ((*trailing)[0], 0xfe);
  EXPECT_EQ((*trailing)[1], 0x80);

  const auto mapped = parse_ipv6("::ffff:192.0.2.128");
  ASSERT_TRUE(mapped.has_value());
  EXPECT_EQ((*mapped)[10], 0xff);
  EXPECT_EQ((*mapped)[12], 192);
  EXPECT_EQ((*mapped)[15], 128);
  EXPECT_TRUE(parse_ipv6("1:2:3:4:5:6:1.2.3.4").has_value());
  EXPECT_TRUE(parse_ipv6("1:2:3:4:5:6:7::").has_value());
  EXPECT_TRUE(parse_ipv6("::2:3:4:5:6:7:8").has_value());
}

TEST(ParseIpv6, RejectsMalformedText) {
  for (const std::string_view text : {"",
                                      ":",
                                      ":::",
                                      "1:2:3:4:5:6:7",
                                      "1:2:3:4:5:6:7:8:9",
                                      "1::2::3",
                                      "12345::1",
                                      "g::1",
                                      ":1:2:3:4:5:6:7",
                                      "1:2:3:4:5:6:7:",
                                      "1:2:3:4:5:6:7:8::",
                                      "::1.2.3",
                                      "::1.2.3.4:5",
                                      "1.2.3.4::",
                                      "::ffff:01.2.3.4",
                                      "1:2:3:4:5:6:7:1.2.3.4",
                                      "[::1]",
                                      "::1%eth0",
                                      "::1 ",
                                      "1:2:3:4:5:6:7:8::9"}) {
    EXPECT_FALSE(parse_ipv6(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace sshrelay
