// SSH-Web's rules of access: tiers and their command lists (wildcards, words), route patterns, rates,
// and the authorized-keys file that says who is trusted.
#include <gtest/gtest.h>

#include "core/sshweb/authorized_keys.hpp"
#include "core/sshweb/rate_limit.hpp"
#include "core/sshweb/route_pattern.hpp"
#include "core/sshweb/tier.hpp"

namespace sshrelay::sshweb {
namespace {

TEST(SshWebRules, SplitsCommandLinesAsGoFieldsDoes) {
  EXPECT_EQ(split_fields("  api-call\tGET  /x \n{\"a\": 1}"),
            (std::vector<std::string>{"api-call", "GET", "/x", "{\"a\":", "1}"}));
  EXPECT_TRUE(split_fields(" \t\r\n").empty());
}

TEST(SshWebRules, EachTierRunsItsListAndTheListsBelow) {
  CommandAllowList allowed;
  allowed.added[0] = {"capabilities", "receive-pack"};
  allowed.added[1] = {"api-call GET", "admin-*"};
  allowed.added[2] = {"api-call"};
  const auto words = [](const char* line) { return split_fields(line); };
  EXPECT_TRUE(allowed.allows(Tier::anonymous, words("receive-pack /docs")));
  EXPECT_FALSE(allowed.allows(Tier::anonymous, words("api-call GET /x")));
  EXPECT_TRUE(allowed.allows(Tier::identified, words("api-call GET /x")));
  EXPECT_TRUE(allowed.allows(Tier::identified, words("receive-pack")));
  EXPECT_FALSE(allowed.allows(Tier::identified, words("api-call POST /x")));
  EXPECT_TRUE(allowed.allows(Tier::trusted, words("api-call POST /x")));
  EXPECT_TRUE(allowed.allows(Tier::identified, words("admin-reindex now"))) << "a wildcard matches the verb's start";
  EXPECT_FALSE(allowed.allows(Tier::identified, words("admin")));
  EXPECT_FALSE(allowed.allows(Tier::trusted, words("api-callx GET"))) << "a word matches a whole word";
  EXPECT_FALSE(allowed.allows(Tier::trusted, {}));
  EXPECT_EQ(allowed.lowest_tier(words("api-call GET /x")), Tier::identified);
  EXPECT_EQ(allowed.lowest_tier(words("api-call DELETE /x")), Tier::trusted);
  EXPECT_FALSE(allowed.lowest_tier(words("shell")));
  EXPECT_EQ(parse_tier("trusted"), Tier::trusted);
  EXPECT_FALSE(parse_tier("root"));
}

TEST(SshWebRules, RoutePatternsMatchSegments) {
  EXPECT_TRUE(route_matches("/", "/"));
  EXPECT_FALSE(route_matches("/", "/a"));
  EXPECT_TRUE(route_matches("/{path*}", "/"));
  EXPECT_TRUE(route_matches("/{path*}", "/a/b/c"));
  EXPECT_TRUE(route_matches("/docs/{path*}", "/docs"));
  EXPECT_TRUE(route_matches("/docs/{path*}", "/docs/a/b"));
  EXPECT_FALSE(route_matches("/docs/{path*}", "/doc/a"));
  EXPECT_TRUE(route_matches("/api/items/{id}", "/api/items/42?x=1"));
  EXPECT_FALSE(route_matches("/api/items/{id}", "/api/items/42/parts"));
  EXPECT_FALSE(route_matches("/api/items/{id}", "/api/items"));
  std::string why;
  EXPECT_FALSE(route_is_valid("/a{b}", &why));
  EXPECT_EQ(why, "braces go around a whole segment: 'a{b}'");
  EXPECT_TRUE(route_is_valid("/a/{b}/{c*}"));
}

TEST(SshWebRules, ReadsRates) {
  auto per_minute = parse_rate_limit("60/min");
  ASSERT_TRUE(per_minute && *per_minute);
  EXPECT_DOUBLE_EQ((*per_minute)->per_second(), 1.0);
  for (const char* text : {"5/s", "5/sec", "5/second", "5/m", "5/minute", "5/h", "5/hour", "5/d", "5/day", " 5/DAY "}) {
    EXPECT_TRUE(parse_rate_limit(text)) << text;
  }
  auto unlimited = parse_rate_limit("unlimited");
  ASSERT_TRUE(unlimited);
  EXPECT_FALSE(*unlimited);
  for (const char* text : {"60", "0/min", "x/min", "60/week", "-1/s"}) EXPECT_FALSE(parse_rate_limit(text)) << text;
  EXPECT_EQ(rate_limit_text((*per_minute)), "60/min");
  EXPECT_EQ(rate_limit_text(std::nullopt), "unlimited");
}

TEST(SshWebRules, AuthorizedKeysGiveTiers) {
  constexpr const char* kFile = R"(# who is who
tier=trusted ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl Alice Admin

ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBx4pHFtt4rX5Lk6Gxq9EXAMPLEAAAAAAAAAAAAAAAAA bob@laptop
tier=identified from="10.0.0.0/8",no-pty ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY= carol
)";
  auto keys = AuthorizedKeys::parse(kFile, "keys");
  ASSERT_TRUE(keys) << keys.error().message;
  ASSERT_EQ(keys->keys().size(), 3u);
  EXPECT_EQ(keys->keys()[0].comment, "Alice Admin");
  EXPECT_EQ(keys->keys()[0].line, 2u);
  EXPECT_EQ(keys->tier_of("ssh-ed25519", "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"), Tier::trusted);
  EXPECT_EQ(keys->tier_of("ssh-ed25519", "AAAAC3NzaC1lZDI1NTE5AAAAIBx4pHFtt4rX5Lk6Gxq9EXAMPLEAAAAAAAAAAAAAAAAA"), Tier::identified);
  EXPECT_EQ(keys->tier_of("ssh-ed25519", "AAAAunknown"), Tier::identified) << "any key is identified";
  EXPECT_EQ(keys->keys()[2].type, "ecdsa-sha2-nistp256") << "options before the type are read past";

  auto anonymous = AuthorizedKeys::parse("\n\ntier=anonymous ssh-ed25519 AAAA x\n", "keys");
  ASSERT_FALSE(anonymous);
  EXPECT_EQ(anonymous.error().message, "keys:3: 'tier=anonymous': a listed key is tier=identified or tier=trusted");
  auto garbage = AuthorizedKeys::parse("hello world\n", "keys");
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().message, "keys:1: no key type (ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, …) where one belongs");
  auto bad_blob = AuthorizedKeys::parse("ssh-ed25519 !!!\n", "keys");
  ASSERT_FALSE(bad_blob);
  EXPECT_EQ(bad_blob.error().message, "keys:1: the ssh-ed25519 key is not base64");
}

}  // namespace
}  // namespace sshrelay::sshweb
