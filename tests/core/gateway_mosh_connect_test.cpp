// mosh-server's answer: the first "MOSH CONNECT <port> <key>" line of its output, and the command line
// that starts it.
#include <gtest/gtest.h>

#include <string>

#include "core/gateway/mosh_connect.hpp"

namespace sshrelay::gateway {
namespace {

constexpr const char* kKey = "4NeCCgvZFe2RnPgrcU1PQw";

TEST(GatewayMoshConnect, StartsMoshServerAsThePeerDoes) {
  EXPECT_EQ(mosh_server_command(), "mosh-server new -s -c 256 -l LANG=en_US.UTF-8");
  EXPECT_EQ(mosh_server_command("LC_ALL=C.UTF-8"), "mosh-server new -s -c 256 -l LC_ALL=C.UTF-8");
  EXPECT_EQ(mosh_server_command("LANG=x; rm -rf ~"), "mosh-server new -s -c 256 -l 'LANG=x; rm -rf ~'");
  EXPECT_EQ(mosh_server_command("it's"), "mosh-server new -s -c 256 -l 'it'\\''s'");
}

TEST(GatewayMoshConnect, ReadsPortAndKeyAfterNoise) {
  const std::string output = std::string("\n\nMOSH CONNECT 60001 ") + kKey +
                             "\n\n"
                             "mosh-server (mosh 1.4.0) [build mosh 1.4.0]\n"
                             "Copyright 2012 Keith Winstein <mosh-devel@mit.edu>\n"
                             "[mosh-server detached, pid = 12345]\n";
  auto parsed = parse_mosh_connect(output);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->udp_port, 60001);
  EXPECT_EQ(parsed->key, kKey);


  // A login banner and motd before it, on stderr or stdout: the two are concatenated.
  auto after_motd = parse_mosh_connect(std::string("Welcome to Ubuntu 22.04\r\n * Documentation: https://help.ubuntu.com\r\n") +
                                       "Last login: Mon Jan  1 00:00:00 2024 from 10.0.0.1\r\n\r\nMOSH CONNECT 60010 " + kKey +
                                       "\r\n");
  ASSERT_TRUE(after_motd) << after_motd.error().message;
  EXPECT_EQ(after_motd->udp_port, 60010);
  EXPECT_EQ(after_motd->key, kKey);
}

TEST(GatewayMoshConnect, StripsLinesAndSplitsFieldsOnBlanks) {
  auto parsed = parse_mosh_connect(std::string("motd line\r\n   \tMOSH CONNECT\t60002   ") + kKey + "  extra \r\n");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->udp_port, 60002);
  EXPECT_EQ(parsed->key, kKey);
}

TEST(GatewayMoshConnect, PassesOverShortMoshConnectLinesAndTakesTheFirstComplete) {
  auto parsed = parse_mosh_connect(std::string("MOSH CONNECT\nMOSH CONNECT 60003\nMOSH CONNECT 60004 ") + kKey +
                                   "\nMOSH CONNECT 60005 " + kKey + "\n");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->udp_port, 60004);
}

TEST(GatewayMoshConnect, NeedsTheLineToStartWithMoshConnect) {
  auto parsed = parse_mosh_connect(std::string("note: MOSH CONNECT 60001 ") + kKey + "\nmosh connect 60001 " + kKey);
  ASSERT_FALSE(parsed);
  EXPECT_TRUE(parsed.error().message.starts_with("Could not parse 'MOSH CONNECT' from server output:\n"));
}

TEST(GatewayMoshConnect, ReadsOutputWithoutATrailingNewline) {
  auto parsed = parse_mosh_connect(std::string("MOSH CONNECT 1 ") + kKey);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->udp_port, 1);
  EXPECT_TRUE(parse_mosh_connect(std::string("MOSH CONNECT 65535 ") + kKey + "=="));
}

TEST(GatewayMoshConnect, QuotesTheFirst400BytesWhenTheLineIsMissing) {
  auto missing = parse_mosh_connect("Permission denied (publickey).\n");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::remote_protocol);
  EXPECT_EQ(missing.error().message, "Could not parse 'MOSH CONNECT' from server output:\nPermission denied (publickey).\n");

  const std::string long_output = std::string(399, 'x') + "yz" + std::string(100, 'w');
  auto cut = parse_mosh_connect(long_output);
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().message, "Could not parse 'MOSH CONNECT' from server output:\n" + std::string(399, 'x') + "y...");

  auto empty = parse_mosh_connect("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message, "Could not parse 'MOSH CONNECT' from server output: (no output)");
  EXPECT_FALSE(parse_mosh_connect("\r\n  \n"));
}

TEST(GatewayMoshConnect, EscapesControlBytesOfTheRemoteInTheQuote) {
  auto parsed = parse_mosh_connect("\x1b[31mred\x1b[0m\r\nbell\a\n");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, "Could not parse 'MOSH CONNECT' from server output:\n\\x1b[31mred\\x1b[0m\nbell\\x07\n");
}

TEST(GatewayMoshConnect, HintsAtAMissingMoshServer) {
  auto parsed = parse_mosh_connect("bash: line 1: mosh-server: command not found\n");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message,
            "Could not parse 'MOSH CONNECT' from server output:\nbash: line 1: mosh-server: command not found\n\n"
            "(is mosh-server installed on the remote host, on the PATH of a non-interactive login?)");
}

TEST(GatewayMoshConnect, RefusesABadPortOrKeyWithoutRepeatingTheKey) {
  for (const char* port : {"0", "65536", "abc", "-1", "6000l", "99999999999999999999"}) {
    auto parsed = parse_mosh_connect(std::string("MOSH CONNECT ") + port + " " + kKey + "\n");
    ASSERT_FALSE(parsed) << port;
    EXPECT_EQ(parsed.error().message,
              std::string("mosh-server's MOSH CONNECT line gives port \"") + port + "\", not a UDP port (1-65535)");
  }
  for (const char* key : {"not*base64", "abc-def", "====", "key\x01"}) {
    auto parsed = parse_mosh_connect(std::string("MOSH CONNECT 60001 ") + key + "\n");
    ASSERT_FALSE(parsed) << key;
    EXPECT_EQ(parsed.error().message, "mosh-server's MOSH CONNECT line gives a key that is not base64 (" +
                                          std::to_string(std::string(key).size()) + " characters)");
  }
}

TEST(GatewayMoshConnect, WrapsTheLoginShellToKeepItsExitStatus) {
  EXPECT_EQ(mosh_session_command("mosh-server new -s", ".sshrelay-gateway-exit-ab12"),
            "mosh-server new -s -- /bin/sh -c '\"${SHELL:-/bin/sh}\" -l; echo $? > \"$HOME/.sshrelay-gateway-exit-ab12\"'");
  EXPECT_EQ(exit_status_command(".x"), "cat \"$HOME/.x\" && rm -f \"$HOME/.x\"");
  EXPECT_EQ(parse_exit_status("3\n"), 3);
  EXPECT_EQ(parse_exit_status("0"), 0);
  EXPECT_EQ(parse_exit_status("255\r\n"), 255);
  EXPECT_EQ(parse_exit_status("256"), std::nullopt);
  EXPECT_EQ(parse_exit_status(""), std::nullopt);
  EXPECT_EQ(parse_exit_status("cat: no such file"), std::nullopt);
  EXPECT_EQ(parse_exit_status("-1"), std::nullopt);
}

}  // namespace
}  // namespace sshrelay::gateway
