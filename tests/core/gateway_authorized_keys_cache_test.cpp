// The remote users' authorized_keys kept for 60 s of steady time, per user, bounded in users.
#include <gtest/gtest.h>

#include <string>

#include "core/gateway/authorized_keys_cache.hpp"

namespace sshrelay::gateway {
namespace {

using namespace std::chrono_literals;

TEST(GatewayAuthorizedKeysCache, HitsUntilTheTtlHasPassed) {
  AuthorizedKeysCache cache;
  EXPECT_EQ(cache.ttl(), 60s);
  const TimePoint t0 = TimePoint{} + 1000h;
  EXPECT_FALSE(cache.lookup("alice", t0));
  cache.store("alice", "ssh-ed25519 AAAA alice\n", t0);
  EXPECT_EQ(cache.lookup("alice", t0), "ssh-ed25519 AAAA alice\n");
  EXPECT_EQ(cache.lookup("alice", t0 + 59900ms), "ssh-ed25519 AAAA alice\n");
  EXPECT_EQ(cache.lookup("alice", t0 + 59999ms), "ssh-ed25519 AAAA alice\n");
  EXPECT_FALSE(cache.lookup("alice", t0 + 60s));
  EXPECT_EQ(cache.size(), 0u) << "an expired entry is dropped when looked up";
  EXPECT_FALSE(cache.lookup("alice", t0 + 59s)) << "and stays gone";
}

TEST(GatewayAuthorizedKeysCache, KeepsAnEmptyFileAsAnAnswer) {
  AuthorizedKeysCache cache;
  const TimePoint t0{};
  cache.store("bob", "", t0);
  auto found = cache.lookup("bob", t0 + 1s);
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, "");
}

TEST(GatewayAuthorizedKeysCache, IsPerUserAndAStoreRestartsTheTtl) {
  AuthorizedKeysCache cache;
  const TimePoint t0{};
  cache.store("alice", "A1", t0);
  cache.store("bob", "B", t0 + 30s);
  EXPECT_FALSE(cache.lookup("Alice", t0)) << "user names are compared exactly";
  cache.store("alice", "A2", t0 + 50s);
  EXPECT_EQ(cache.lookup("alice", t0 + 100s), "A2");
  EXPECT_EQ(cache.lookup("bob", t0 + 89s), "B");
  EXPECT_FALSE(cache.lookup("bob", t0 + 90s));
  cache.forget("alice");
  EXPECT_FALSE(cache.lookup("alice", t0 + 51s));
}

TEST(GatewayAuthorizedKeysCache, TakesItsTtlFromTheSetting) {
  AuthorizedKeysCache cache(5s);
  const TimePoint t0{};
  cache.store("alice", "A", t0);
  EXPECT_TRUE(cache.lookup("alice", t0 + 4999ms));
  EXPECT_FALSE(cache.lookup("alice", t0 + 5s));

  AuthorizedKeysCache off(0s);
  off.store("alice", "A", t0);
  EXPECT_FALSE(off.lookup("alice", t0)) << "a TTL of 0 keeps nothing";
  EXPECT_EQ(off.size(), 0u);
}

TEST(GatewayAuthorizedKeysCache, DropsExpiredEntriesThenTheOldestWhenFull) {
  AuthorizedKeysCache cache(60s, 3);
  const TimePoint t0{};
  cache.store("a", "A", t0);
  cache.store("b", "B", t0 + 10s);
  cache.store("c", "C", t0 + 20s);
  cache.store("d", "D", t0 + 30s);  // full of fresh entries: the oldest (a) goes
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.lookup("a", t0 + 30s));
  EXPECT_TRUE(cache.lookup("b", t0 + 30s));
  EXPECT_TRUE(cache.lookup("c", t0 + 30s));
  EXPECT_TRUE(cache.lookup("d", t0 + 30s));

  cache.store("b", "B2", t0 + 40s);  // replacing an entry makes it the youngest and takes no room
  cache.store("e", "E", t0 + 45s);   // now c is the oldest
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.lookup("c", t0 + 45s));
  EXPECT_EQ(cache.lookup("b", t0 + 45s), "B2");

  // At t0 + 100s d (stored at 30 s) and b (40 s) have expired: both go, e (45 s) stays.
  cache.store("f", "F", t0 + 100s);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.lookup("e", t0 + 100s), "E");
  EXPECT_EQ(cache.lookup("f", t0 + 100s), "F");
}

TEST(GatewayAuthorizedKeysCache, HoldsAThousandAndTwentyFourUsersByDefault) {
  AuthorizedKeysCache cache;
  const TimePoint t0{};
  for (int i = 0; i < 1100; ++i) cache.store("user" + std::to_string(i), "k", t0 + std::chrono::milliseconds(i));
  EXPECT_EQ(cache.size(), kDefaultAuthorizedKeysCacheUsers);
  EXPECT_FALSE(cache.lookup("user75", t0 + 2s));
  EXPECT_TRUE(cache.lookup("user76", t0 + 2s));
  EXPECT_TRUE(cache.lookup("user1099", t0 + 2s));
}

}  // namespace
}  // namespace sshrelay::gateway
