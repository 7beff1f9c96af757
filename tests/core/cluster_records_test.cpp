// The cluster's sans-I/O parts: the Redis URL, the directory's layout and records, and the forwarded
// reconnect's preamble with its replay guard.
#include <gtest/gtest.h>

#include "core/cluster/directory_schema.hpp"
#include "core/cluster/forward_preamble.hpp"
#include "core/cluster/redis_url.hpp"

namespace sshrelay::cluster {
namespace {

TEST(RedisUrl, ReadsEveryPart) {
  auto url = parse_redis_url("rediss://relay:p%40ss:word@redis.internal:6380/2");
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->user, "relay");
  EXPECT_EQ(url->password, "p@ss:word");
  EXPECT_EQ(url->host, "redis.internal");
  EXPECT_EQ(url->port, 6380);
  EXPECT_EQ(url->database, 2u);
  EXPECT_EQ(url->redacted(), "rediss://relay:***@redis.internal:6380/2");
}

TEST(RedisUrl, DefaultsAndPasswordOnlyAndIpv6) {
  auto plain = parse_redis_url("redis://127.0.0.1");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->port, 6379);
  EXPECT_TRUE(plain->password.empty());
  auto password_only = parse_redis_url("redis://:secret@[::1]:7000");
  ASSERT_TRUE(password_only) << password_only.error().message;
  EXPECT_EQ(password_only->host, "::1");
  EXPECT_EQ(password_only->port, 7000);
  EXPECT_EQ(password_only->password, "secret");
  EXPECT_TRUE(password_only->user.empty());
  EXPECT_EQ(password_only->redacted(), "redis://:***@[::1]:7000");
}

TEST(RedisUrl, RefusalsNameThePart) {
  const auto error_of = [](std::string_view text) {
    auto url = parse_redis_url(text);
    return url ? std::string("accepted") : url.error().message;
  };
  EXPECT_NE(error_of("http://x").find("redis://"), std::string::npos);
  EXPECT_NE(error_of("redis://").find("no host"), std::string::npos);
  EXPECT_NE(error_of("redis://h:0").find("port"), std::string::npos);
  EXPECT_NE(error_of("redis://h:99999").find("port"), std::string::npos);
  EXPECT_NE(error_of("redis://h:").find("no port"), std::string::npos);
  EXPECT_NE(error_of("redis://h/x").find("database"), std::string::npos);
  EXPECT_NE(error_of("redis://u@h").find("without a password"), std::string::npos);
  EXPECT_NE(error_of("redis://u:%zz@h").find("escape"), std::string::npos);
  EXPECT_NE(error_of("redis://[::1").find("'['"), std::string::npos);
}

TEST(DirectorySchema, NodePublicationReplacesTheLoadInOneTransaction) {
  NodeRecord node{"a", "10.0.0.1:7001", 42, 1000, 3};
  const auto commands = publish_node(node, {{"alice", 2}, {"", 1}, {"bob", 0}}, 6000);
  ASSERT_GE(commands.size(), 4u);
  EXPECT_EQ(commands.front(), Command{"MULTI"});
  EXPECT_EQ(commands.back(), Command{"EXEC"});
  bool load_written = false;
  for (const auto& c : commands) {
    if (c.size() > 1 && c[0] == "HSET" && c[1] == load_key("a")) {
      // Only principals with sessions: not the anonymous count, not a zero.
      EXPECT_EQ(c, (Command{"HSET", "sshrelay:load:a", "alice", "2"}));
      load_written = true;
    }
  }
  EXPECT_TRUE(load_written);
  // An idle node writes no load hash at all (HSET with no field would be an error).
  for (const auto& c : publish_node(node, {}, 6000)) EXPECT_FALSE(c.size() > 1 && c[0] == "HSET" && c[1] == load_key("a"));
}

TEST(DirectorySchema, SessionRecordsRoundTrip) {
  SessionRecord record{"node-1", "alice@example.com", "v4", 1234567};
  const auto commands = publish_session("SID", record, 9000);
  ASSERT_EQ(commands.size(), 2u);
  EXPECT_EQ(commands[0][1], "sshrelay:session:SID");
  EXPECT_EQ(commands[1], (Command{"PEXPIRE", "sshrelay:session:SID", "9000"}));
  std::vector<std::string> fields(commands[0].begin() + 2, commands[0].end());
  auto parsed = parse_session_record(fields);
  ASSERT_TRUE(parsed);
  ASSERT_TRUE(parsed->has_value());
  EXPECT_EQ((*parsed)->owner, "node-1");
  EXPECT_EQ((*parsed)->principal, "alice@example.com");
  EXPECT_EQ((*parsed)->expires_ms, 1234567);
  auto missing = parse_session_record({});
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  auto broken = parse_session_record({"owner", "n"});
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("principal"), std::string::npos);
  EXPECT_EQ(remove_session("SID"), (Command{"DEL", "sshrelay:session:SID"}));
}

TEST(DirectorySchema, ClusterLoadSumsTheOtherNodes) {
  ClusterLoad load;
  auto node = parse_node_record("b", {"address", "127.0.0.1:1", "sessions", "5", "pid", "7"});
  ASSERT_TRUE(node);
  ASSERT_TRUE(node->has_value());
  EXPECT_EQ((*node)->pid, 7);
  load.add_node(**node, parse_load({"alice", "2", "bob", "x"}));
  load.add_node(NodeRecord{"c", "h:2", 0, 0, 4}, parse_load({"alice", "1"}));
  EXPECT_EQ(load.total, 9u);
  EXPECT_EQ(load.of("alice"), 3u);
  EXPECT_EQ(load.of("bob"), 0u);  // not a number: skipped
  EXPECT_FALSE(parse_node_record("d", {"pid", "1"}));
}

ForwardPreamble sample_preamble() {
  ForwardPreamble p;
  p.from_node = "node-b";
  p.at_ms = 1'000'000;
  p.nonce = "00112233445566778899aabbccddeeff";
  p.sid = "SID";
  p.principal = "alice@example.com";
  p.client_ip = "192.0.2.7";
  p.client_port = 50000;
  p.identity_provider = "oidc";
  p.identity_subject = "sub-1";
  return p;
}

TEST(ForwardPreamble, LineRoundTrips) {
  const auto body = encode_forward_body(sample_preamble());
  const std::string mac(64, 'a');
  const auto line = forward_line(body, mac);
  ASSERT_EQ(line.substr(line.size() - 2), "\r\n");
  auto split = split_forward_line(std::string_view(line).substr(0, line.size() - 2));
  ASSERT_TRUE(split) << split.error().message;
  EXPECT_EQ(split->encoded_body, body);
  EXPECT_EQ(split->mac_hex, mac);
  auto decoded = decode_forward_body(split->encoded_body);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->principal, "alice@example.com");
  EXPECT_EQ(decoded->client_port, 50000);
  EXPECT_EQ(decoded->identity_provider, "oidc");
  // The MAC covers a label and the body exactly.
  EXPECT_EQ(forward_mac_input(body), "sshrelay forwarded reconnect\n" + body);
}

TEST(ForwardPreamble, MalformedLinesAreRefused) {
  EXPECT_FALSE(split_forward_line("GET /v4/reconnect HTTP/1.1"));
  EXPECT_FALSE(split_forward_line("SSHRELAY-FORWARD/1"));
  EXPECT_FALSE(split_forward_line("SSHRELAY-FORWARD/1 body"));
  EXPECT_FALSE(split_forward_line("SSHRELAY-FORWARD/1 body short"));
  EXPECT_FALSE(split_forward_line("SSHRELAY-FORWARD/1 a b " + std::string(64, 'a')));
  EXPECT_FALSE(split_forward_line("SSHRELAY-FORWARD/1 " + std::string(5000, 'a') + " " + std::string(64, 'a')));
  EXPECT_FALSE(decode_forward_body("!!!"));
  EXPECT_FALSE(decode_forward_body("e30"));  // {}: no fields
}

TEST(ForwardReplayGuard, AcceptsOnceAndOnlyInTheWindow) {
  ForwardReplayGuard guard(std::chrono::seconds(30));
  auto p = sample_preamble();
  EXPECT_TRUE(guard.accept(p, p.at_ms + 1000));
  auto again = guard.accept(p, p.at_ms + 2000);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("nonce"), std::string::npos);
  auto old = p;
  old.nonce = "ffeeddccbbaa99887766554433221100";
  auto stale = guard.accept(old, p.at_ms + 31'000);
  ASSERT_FALSE(stale);
  EXPECT_NE(stale.error().message.find("clock"), std::string::npos);
  EXPECT_FALSE(guard.accept(old, p.at_ms - 31'000));  // from the future, as far as this node can tell
  EXPECT_TRUE(guard.accept(old, p.at_ms + 29'000));
}

}  // namespace
}  // namespace sshrelay::cluster

namespace sshrelay::cluster {
namespace {

TEST(DirectorySchema, AnEndingReplacesTheRecord) {
  const auto commands = publish_ending("SID", {"alice", 1000, "ssh exited"}, 120000);
  ASSERT_EQ(commands.size(), 3u);
  EXPECT_EQ(commands[0], remove_session("SID"));
  EXPECT_EQ(commands[1][1], "sshrelay:ended:SID");
  auto parsed = parse_ending_record(std::vector<std::string>(commands[1].begin() + 2, commands[1].end()));
  ASSERT_TRUE(parsed);
  ASSERT_TRUE(parsed->has_value());
  EXPECT_EQ((*parsed)->code, 1000);
  EXPECT_EQ((*parsed)->reason, "ssh exited");
  EXPECT_FALSE(parse_ending_record({"principal", "a", "code", "x"}));
}

}  // namespace
}  // namespace sshrelay::cluster
