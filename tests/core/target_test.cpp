#include "core/policy/target.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sshrelay {
namespace {

Target parsed(std::string_view text, std::uint16_t default_port = 22) {
  auto target = parse_target(text, default_port);
  EXPECT_TRUE(target.ok()) << text << ": " << (target.ok() ? "" : target.error().message);
  return target.ok() ? *target : Target{};
}

std::string error_of(std::string_view text) {
  auto target = parse_target(text);
  EXPECT_FALSE(target.ok()) << text << " parsed as " << (target.ok() ? target->to_string() : "");
  if (target.ok()) return {};
  EXPECT_EQ(target.error().kind, ErrorKind::remote_protocol);
  return target.error().message;
}

TEST(ParseTarget, AcceptsHostAndPort) {
  EXPECT_EQ(parsed("example.com:2222"), (Target{"example.com", 2222}));
  EXPECT_EQ(parsed("10.0.0.1:22"), (Target{"10.0.0.1", 22}));
  EXPECT_EQ(parsed("host_with_underscore.internal:65535"), (Target{"host_with_underscore.internal", 65535}));
  EXPECT_EQ(parsed("a:1"), (Target{"a", 1}));
}

TEST(ParseTarget, DefaultsThePort) {
  EXPECT_EQ(parsed("example.com"), (Target{"example.com", 22}));
  EXPECT_EQ(parsed("example.com", 2200), (Target{"example.com", 2200}));
  EXPECT_EQ(parsed("[::1]"), (Target{"::1", 22}));
  EXPECT_EQ(parsed("::1"), (Target{"::1", 22}));
}

TEST(ParseTarget, AcceptsIpv6Forms) {
  EXPECT_EQ(parsed("[::1]:2222"), (Target{"::1", 2222}));
  EXPECT_EQ(parsed("[2001:DB8::1]:22"), (Target{"2001:db8::1", 22}));
  // Two or more colons without brackets: all address, no port.
  EXPECT_EQ(parsed("2001:db8::22"), (Target{"2001:db8::22", 22}));
  EXPECT_EQ(parsed("fe80::1%eth0"), (Target{"fe80::1%eth0", 22}));
  EXPECT_EQ(parsed("[fe80::1%Eth0]:22"), (Target{"fe80::1%Eth0", 22}));
  EXPECT_EQ(parsed("[::ffff:127.0.0.1]:22"), (Target{"::ffff:127.0.0.1", 22}));
}

TEST(ParseTarget, NormalizesNamesToLowerCase) {
  EXPECT_EQ(parsed("Example.COM:22"), (Target{"example.com", 22}));
  EXPECT_EQ(parsed("example.com.:22"), (Target{"example.com.", 22}));
}

TEST(Target, ToStringBracketsIpv6AndRoundTrips) {
  EXPECT_EQ((Target{"::1", 22}).to_string(), "[::1]:22");
  EXPECT_EQ((Target{"fe80::1%eth0", 2222}).to_string(), "[fe80::1%eth0]:2222");
  EXPECT_EQ((Target{"example.com", 443}).to_string(), "example.com:443");
  EXPECT_EQ((Target{"10.1.2.3", 22}).to_string(), "10.1.2.3:22");
  for (const std::string_view text : {"[::1]:22", "[fe80::1%eth0]:2222", "example.com:443", "10.1.2.3:1"}) {
    EXPECT_EQ(parsed(text).to_string(), text);
  }
}

TEST(ParseTarget, RejectsEmptyParts) {
  EXPECT_EQ(error_of(""), "target is empty");
  EXPECT_EQ(error_of(":22"), "target \":22\" has an empty host");
  EXPECT_EQ(error_of("[]:22"), "host \"[]\" has nothing between its brackets");
  EXPECT_EQ(error_of("example.com:"), "port is empty");
  EXPECT_EQ(error_of("[::1]:"), "port is empty");
}

TEST(ParseTarget, RejectsBadPorts) {
  EXPECT_EQ(error_of("example.com:99999"), "port \"99999\" is out of range 1-65535");
  EXPECT_EQ(error_of("example.com:65536"), "port \"65536\" is out of range 1-65535");
  EXPECT_EQ(error_of("example.com:0"), "port \"0\" is out of range 1-65535");
  EXPECT_EQ(error_of("example.com:ssh"), "port \"ssh\" is not a number");
  EXPECT_EQ(error_of("example.com:+22"), "port \"+22\" is not a number");
  EXPECT_EQ(error_of("example.com:-1"), "port \"-1\" is not a number");
  EXPECT_EQ(error_of("example.com:99999999999999999999999"),
            "port \"99999999999999999999999\" is out of range 1-65535");
}

TEST(ParseTarget, RejectsWhitespaceAndControlCharacters) {
  EXPECT_EQ(error_of("exa mple.com:22"),
            "target \"exa mple.com:22\" contains whitespace or a control character (byte 0x20 at offset 3)");
  EXPECT_EQ(error_of("example.com\r\nX-Injected: 1"),
            "target \"example.com\\x0d\\x0aX-Injected: 1\" contains whitespace or a control character (byte 0x0d at "
            "offset 11)");
  EXPECT_NE(error_of(std::string("a\0b:22", 6)).find("byte 0x00 at offset 1"), std::string::npos);
  EXPECT_NE(error_of("example.com\t").find("byte 0x09"), std::string::npos);
  EXPECT_NE(error_of("b\xc3\xbc"
                     "cher.de")
                .find("non-ASCII byte 0xc3 at offset 1"),
            std::string::npos);
}

TEST(ParseTarget, RejectsUnbalancedBrackets) {
  EXPECT_EQ(error_of("[::1"), "target \"[::1\" has '[' without a matching ']'");
  EXPECT_EQ(error_of("[::1:22"), "target \"[::1:22\" has '[' without a matching ']'");
  EXPECT_EQ(error_of("::1]:22"), "target \"::1]:22\" has unbalanced brackets (IPv6 with a port is \"[addr]:port\")");
  EXPECT_EQ(error_of("[::1]]:22"),
            "target \"[::1]]:22\" has unexpected text \"]:22\" after ']' (expected \":port\" or nothing)");
  EXPECT_EQ(error_of("[::1]22"),
            "target \"[::1]22\" has unexpected text \"22\" after ']' (expected \":port\" or nothing)");
  EXPECT_EQ(error_of("[[::1]]:22"),
            "target \"[[::1]]:22\" has unexpected text \"]:22\" after ']' (expected \":port\" or nothing)");
  EXPECT_EQ(error_of("[[::1]:22"), "host \"[[::1]\" has unbalanced brackets");
  EXPECT_EQ(error_of("[::1]:2]2"), "port \"2]2\" is not a number");
  EXPECT_EQ(error_of("[example.com]:22"), "host \"[example.com]\" is bracketed but is not an IPv6 address");
}

TEST(ParseTarget, RejectsInvalidHostCharacters) {
  EXPECT_EQ(error_of("exa/mple.com:22"),
            "host \"exa/mple.com\" has invalid character '/' (allowed: letters, digits, '-', '_', '.', and ':' only in "
            "IPv6 literals)");
  for (const std::string_view text : {"user@host:22", "host#frag", "host?x=1", "h*st", "ho%st", "a,b"}) {
    EXPECT_FALSE(parse_target(text).ok()) << text;
  }
}

TEST(ParseTarget, RejectsBadIpv6) {
  EXPECT_EQ(error_of("[::1::2]:22"), "host \"[::1::2]\" is not a valid IPv6 address");
  EXPECT_EQ(error_of("1:2:3:4:5:6:7:8:9"), "host \"1:2:3:4:5:6:7:8:9\" is not a valid IPv6 address");
  EXPECT_EQ(error_of("[fe80::1%]:22"), "host \"[fe80::1%]\" has an empty IPv6 zone after '%'");
  // Found by target_fuzz (10-minute run): a long zone passed in brackets but not without them, so a
  // target did not survive being written out and read back.
  const std::string zone64(64, 'z');
  ASSERT_TRUE(parse_target("[fe80::1%" + zone64 + "]:22", 22));
  ASSERT_TRUE(make_target("fe80::1%" + zone64, "22"));
  EXPECT_EQ(error_of("[fe80::1%" + zone64 + "z]:22"),
            "host \"[fe80::1%" + zone64 + "z]\" has an IPv6 zone of 65 characters (at most 64)");
  EXPECT_EQ(
      error_of("[fe80::1%a/b]:22"),
      "host \"[fe80::1%a/b]\" has invalid character '/' in its IPv6 zone (allowed: letters, digits, '-', '_', '.')");
  EXPECT_FALSE(parse_target("[gggg::1]").ok());
}

TEST(ParseTarget, RejectsBadDnsNames) {
  EXPECT_EQ(error_of("a..b:22"), "host \"a..b\" has an empty label (\"..\" or a leading dot)");
  EXPECT_EQ(error_of(".a:22"), "host \".a\" has an empty label (\"..\" or a leading dot)");
  EXPECT_EQ(error_of("-oProxyCommand:22"),
            "host \"-oProxyCommand\" has label \"-oProxyCommand\" starting or ending with '-'");
  EXPECT_FALSE(parse_target("host-.example").ok());
  EXPECT_EQ(error_of(std::string(64, 'a') + ".com"),
            "host \"" + std::string(64, 'a') + ".com\" has a label of 64 characters; DNS labels are at most 63");
  EXPECT_TRUE(parse_target(std::string(63, 'a') + ".com").ok());
}

TEST(ParseTarget, LimitsHostLength) {
  std::string longest;
  while (longest.size() < 253) longest += longest.empty() ? "a" : ".a";
  ASSERT_EQ(longest.size(), 253u);
  EXPECT_TRUE(parse_target(longest).ok());
  EXPECT_TRUE(parse_target(longest + ".").ok());
  const std::string too_long = longest + "a";
  const std::string message = error_of(too_long + ":22");
  EXPECT_NE(message.find("is 254 characters long; DNS names are at most 253"), std::string::npos) << message;
  EXPECT_NE(message.find("...\""), std::string::npos) << "long text should be cut in messages: " << message;
}

TEST(ParseTarget, LegacyIpv4FormsBecomeTheDottedQuadTheResolverWouldDial) {
  // inet_aton(3) reads these as IPv4; policy, logs and audit must see the address, not the disguise.
  EXPECT_EQ(parsed("2130706433"), (Target{"127.0.0.1", 22}));
  EXPECT_EQ(parsed("127.1"), (Target{"127.0.0.1", 22}));
  EXPECT_EQ(parsed("0x7f.0.0.1"), (Target{"127.0.0.1", 22}));
  EXPECT_EQ(parsed("0X7F000001"), (Target{"127.0.0.1", 22}));
  EXPECT_EQ(parsed("0177.0.0.1"), (Target{"127.0.0.1", 22}));
  EXPECT_EQ(parsed("169.16689662"), (Target{"169.254.169.254", 22}));
  EXPECT_EQ(parsed("10.1.65535"), (Target{"10.1.255.255", 22}));
  EXPECT_EQ(parsed("0"), (Target{"0.0.0.0", 22}));
}

TEST(ParseTarget, RejectsNumericNamesThatAreNoAddress) {
  EXPECT_EQ(error_of("1.2.3.256:22"), "host \"1.2.3.256\" looks numeric but is not an IPv4 address");
  for (const std::string_view text : {"1.2.3.4.5", "4294967296", "256.1", "08.1.1.1", "1.2.65536"}) {
    EXPECT_FALSE(parse_target(text).ok()) << text;
  }
  // A numeric label elsewhere is an ordinary name.
  EXPECT_EQ(parsed("123.example.com"), (Target{"123.example.com", 22}));
  EXPECT_EQ(parsed("1.2.3.4x"), (Target{"1.2.3.4x", 22}));
  EXPECT_EQ(parsed("0xdb"), (Target{"0.0.0.219", 22}));
  EXPECT_EQ(parsed("0xdb.example"), (Target{"0xdb.example", 22}));
}

TEST(MakeTarget, TakesSeparateHostAndPort) {
  auto target = make_target("Example.com", "2222");
  ASSERT_TRUE(target.ok()) << target.error().message;
  EXPECT_EQ(*target, (Target{"example.com", 2222}));

  target = make_target("::1", "22");
  ASSERT_TRUE(target.ok()) << target.error().message;
  EXPECT_EQ(*target, (Target{"::1", 22}));

  target = make_target("[::1]", "22");
  ASSERT_TRUE(target.ok()) << target.error().message;
  EXPECT_EQ(*target, (Target{"::1", 22}));
}

TEST(MakeTarget, RejectsBadInput) {
  EXPECT_EQ(make_target("", "22").error().message, "host is empty");
  EXPECT_EQ(make_target("example.com", "").error().message, "port is empty");
  EXPECT_EQ(make_target("example.com", "99999").error().message, "port \"99999\" is out of range 1-65535");
  EXPECT_EQ(make_target("example.com:22", "22").error().message,
            "host \"example.com:22\" contains ':' but is not an IPv6 address (is it host:port?)");
  EXPECT_EQ(make_target("[::1]:22", "22").error().message,
            "host \"[::1]:22\" has '[' without a matching ']' at its end");
  EXPECT_EQ(make_target("host%eth0", "22").error().message,
            "host \"host%eth0\" has a '%' zone, which only IPv6 addresses may have");
  EXPECT_EQ(make_target("example.com", "22 ").error().message, "port \"22 \" is not a number");
  EXPECT_EQ(make_target("example.com", "22").ok(), true);
}

TEST(ParsePort, AcceptsFullRange) {
  EXPECT_EQ(*parse_port("1"), 1);
  EXPECT_EQ(*parse_port("22"), 22);
  EXPECT_EQ(*parse_port("022"), 22);
  EXPECT_EQ(*parse_port("65535"), 65535);
}

}  // namespace
}  // namespace sshrelay
