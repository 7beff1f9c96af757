// The rendezvous pairing rules in virtual time: who may take which slot, the peer-wait and the TTL, a
// dropped leg that keeps its slot, a second party refused, the other leg told to go, revocation, caps.
// The token digest here is a stand-in (the daemon uses SHA-256); what matters is that the registry only
// ever compares digests.
#include "core/rendezvous/rendezvous_registry.hpp"

#include <gtest/gtest.h>

#include <numeric>

namespace sshrelay::rendezvous {
namespace {

using namespace std::chrono_literals;

class ReversingDigester final : public TokenDigester {
 public:
  std::string digest(std::string_view token) const override {
    ++calls;
    return "digest:" + std::string(token.rbegin(), token.rend());
  }
  mutable int calls = 0;
};

std::vector<std::uint8_t> random_bytes(std::uint8_t seed) {
  std::vector<std::uint8_t> bytes(kRandomBytesPerSession);
  std::iota(bytes.begin(), bytes.end(), seed);
  return bytes;
}

std::vector<Event> drain(Registry& r) {
  std::vector<Event> out;
  while (auto e = r.next_event()) out.push_back(std::move(*e));
  return out;
}

class RendezvousRegistryTest : public ::testing::Test {
 protected:
  Created mint(std::uint8_t seed = 1, std::optional<Duration> ttl = std::nullopt, const std::string& who = "alice") {
    auto created = registry_.create(t0_, who, ttl, random_bytes(seed), digester_);
    EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.error().message);
    return created.ok() ? *created : Created{};
  }
  std::variant<Slot, Refusal> attach(const Created& c, const std::string& token, TimePoint at) {
    return registry_.attach(c.id, token, at, digester_);
  }
  static std::string refusal(const std::variant<Slot, Refusal>& r) {
    return std::holds_alternative<Refusal>(r) ? std::to_string(std::get<Refusal>(r).http_status) + " " + std::get<Refusal>(r).reason
                                              : std::string("slot ") + slot_name(std::get<Slot>(r));
  }

  RegistryLimits limits_{.default_ttl = 1h, .max_ttl = 24h, .peer_wait = 2min, .max_sessions = 5, .max_sessions_per_principal = 3};
  Registry registry_{limits_};
  ReversingDigester digester_;
  TimePoint t0_{std::chrono::hours(100)};
};

TEST_F(RendezvousRegistryTest, MintsAnIdAndTwoTokensOfTwentyTwoCharactersAndKeepsOnlyDigests) {
  const auto c = mint();
  EXPECT_EQ(c.id.size(), 22u);
  EXPECT_EQ(c.initiator_token.size(), 22u);
  EXPECT_EQ(c.responder_token.size(), 22u);
  EXPECT_NE(c.initiator_token, c.responder_token);
  EXPECT_EQ(c.expires_at, t0_ + 1h);
  EXPECT_EQ(digester_.calls, 2);
  const auto status = registry_.status(c.id);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->state, State::pending);
  EXPECT_EQ(status->principal, "alice");
}

TEST_F(RendezvousRegistryTest, TheTokenChoosesTheSlotAndTheSecondLegPairs) {
  const auto c = mint();
  EXPECT_EQ(refusal(attach(c, c.responder_token, t0_ + 1s)), "slot responder");
  EXPECT_EQ(registry_.status(c.id)->state, State::half_open);
  EXPECT_TRUE(drain(registry_).empty());
  EXPECT_EQ(refusal(attach(c, c.initiator_token, t0_ + 2s)), "slot initiator");
  const auto events = drain(registry_);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<Paired>(events[0]).id, c.id);
  EXPECT_TRUE(registry_.paired(c.id));
  EXPECT_EQ(registry_.status(c.id)->pairings, 1u);
}

TEST_F(RendezvousRegistryTest, RefusesUnknownSessionsMissingOrWrongTokensATakenSlotAndExpiry) {
  const auto c = mint();
  const auto other = mint(100);
  EXPECT_EQ(refusal(registry_.attach("nope", c.initiator_token, t0_, digester_)), "404 no such rendezvous session");
  EXPECT_EQ(refusal(attach(c, "", t0_)), "401 missing session token");
  EXPECT_EQ(refusal(attach(c, other.initiator_token, t0_)), "401 wrong token for this session");
  EXPECT_EQ(refusal(attach(c, c.initiator_token, t0_)), "slot initiator");
  EXPECT_EQ(refusal(attach(c, c.initiator_token, t0_ + 1s)), "409 slot already connected");
  // A dropped leg keeps its slot: a third party with the same token is still refused.
  registry_.leg_detached(c.id, Slot::initiator, t0_ + 2s);
  EXPECT_EQ(refusal(attach(c, c.initiator_token, t0_ + 3s)), "409 slot already connected");
  EXPECT_EQ(refusal(attach(other, other.responder_token, t0_ + 1h)), "410 session expired");
}

TEST_F(RendezvousRegistryTest, ALoneLegWaitsForItsPeerOnlySoLong) {
  const auto c = mint();
  ASSERT_EQ(refusal(attach(c, c.initiator_token, t0_)), "slot initiator");
  ASSERT_EQ(registry_.next_deadline(), t0_ + 2min);
  registry_.on_timeout(t0_ + 2min - 1ms);
  EXPECT_TRUE(drain(registry_).empty());
  registry_.on_timeout(t0_ + 2min);
  auto events = drain(registry_);
  ASSERT_EQ(events.size(), 1u);
  const auto& close = std::get<CloseLeg>(events[0]);
  EXPECT_EQ(close.slot, Slot::initiator);
  EXPECT_EQ(close.code, 1001);
  EXPECT_EQ(close.reason, "peer did not connect in time");
  // The daemon closes it; the slot is free and the same token may come back while the TTL lasts.
  registry_.leg_ended(c.id, Slot::initiator, t0_ + 2min);
  EXPECT_TRUE(drain(registry_).empty());
  EXPECT_EQ(registry_.status(c.id)->state, State::pending);
  EXPECT_EQ(refusal(attach(c, c.initiator_token, t0_ + 3min)), "slot initiator");
}

TEST_F(RendezvousRegistryTest, WhenOneLegEndsTheOtherIsToldToGoAndTheTokensMayPairAgain) {
  const auto c = mint();
  attach(c, c.initiator_token, t0_);
  attach(c, c.responder_token, t0_);
  drain(registry_);
  registry_.count_bytes(c.id, Slot::initiator, 100, t0_ + 1s);
  registry_.count_bytes(c.id, Slot::responder, 7, t0_ + 1s);
  registry_.leg_ended(c.id, Slot::responder, t0_ + 2s);
  auto events = drain(registry_);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<CloseLeg>(events[0]).slot, Slot::initiator);
  EXPECT_EQ(std::get<CloseLeg>(events[0]).code, 1000);
  EXPECT_EQ(std::get<CloseLeg>(events[0]).reason, "peer disconnected");
  registry_.leg_ended(c.id, Slot::initiator, t0_ + 2s);
  EXPECT_TRUE(drain(registry_).empty());
  const auto status = registry_.status(c.id);
  EXPECT_EQ(status->state, State::pending);
  EXPECT_EQ(status->bytes_in, 100u);
  EXPECT_EQ(status->bytes_out, 7u);
  attach(c, c.responder_token, t0_ + 3s);
  attach(c, c.initiator_token, t0_ + 3s);
  EXPECT_EQ(registry_.status(c.id)->pairings, 2u);
}

TEST_F(RendezvousRegistryTest, ADroppedLegThatResumesKeepsThePairWithoutAPeerWait) {
  const auto c = mint();
  attach(c, c.initiator_token, t0_);
  attach(c, c.responder_token, t0_);
  drain(registry_);
  registry_.leg_detached(c.id, Slot::responder, t0_ + 1s);
  EXPECT_TRUE(registry_.paired(c.id)) << "a detached leg still holds its slot";
  EXPECT_FALSE(registry_.status(c.id)->responder_connected);
  EXPECT_EQ(registry_.next_deadline(), std::nullopt) << "no peer-wait while both slots are held";
  registry_.leg_resumed(c.id, Slot::responder, t0_ + 5s);
  EXPECT_TRUE(registry_.status(c.id)->responder_connected);
  EXPECT_TRUE(drain(registry_).empty()) << "a resume is not a second pairing";
}

TEST_F(RendezvousRegistryTest, ExpiryRemovesAnIdleSessionButNotARunningPair) {
  const auto idle = mint(1, 10min);
  const auto busy = mint(60, 10min);
  attach(busy, busy.initiator_token, t0_);
  attach(busy, busy.responder_token, t0_);
  drain(registry_);
  EXPECT_EQ(registry_.next_deadline(), t0_ + 10min);
  registry_.on_timeout(t0_ + 10min);
  auto events = drain(registry_);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<Removed>(events[0]).id, idle.id);
  EXPECT_EQ(std::get<Removed>(events[0]).why, "expired");
  EXPECT_EQ(refusal(attach(idle, idle.initiator_token, t0_ + 10min)), "410 session expired") << "not 'no such session'";
  EXPECT_TRUE(registry_.paired(busy.id)) << "the pair goes on past the TTL";
  registry_.leg_ended(busy.id, Slot::initiator, t0_ + 11min);
  registry_.leg_ended(busy.id, Slot::responder, t0_ + 11min);
  events = drain(registry_);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<CloseLeg>(events[0]));
  EXPECT_EQ(std::get<Removed>(events[1]).id, busy.id);
  EXPECT_EQ(registry_.size(), 0u);
}

TEST_F(RendezvousRegistryTest, RevokingClosesBothLegsAndForgetsTheSession) {
  const auto c = mint();
  attach(c, c.initiator_token, t0_);
  attach(c, c.responder_token, t0_);
  drain(registry_);
  EXPECT_TRUE(registry_.revoke(c.id, t0_ + 1s));
  const auto events = drain(registry_);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(std::get<CloseLeg>(events[0]).reason, "session revoked");
  EXPECT_EQ(std::get<CloseLeg>(events[1]).slot, Slot::responder);
  EXPECT_EQ(std::get<Removed>(events[2]).why, "revoked");
  // A late leg learns why for an hour, then the id is unknown.
  EXPECT_EQ(refusal(attach(c, c.initiator_token, t0_ + 2s)), "410 session revoked");
  registry_.on_timeout(t0_ + 1h + 2s);
  EXPECT_EQ(refusal(attach(c, c.initiator_token, t0_ + 1h + 2s)), "404 no such rendezvous session");
  EXPECT_FALSE(registry_.revoke(c.id, t0_ + 2s));
  registry_.leg_ended(c.id, Slot::initiator, t0_ + 2s);  // the daemon's report after closing: harmless
}

TEST_F(RendezvousRegistryTest, CreationSaysWhatIsWrong) {
  auto r = registry_.create(t0_, "bob", 25h, random_bytes(1), digester_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "a TTL of 90000 s is over this relay's maximum of 86400 s");
  r = registry_.create(t0_, "bob", 0s, random_bytes(1), digester_);
  EXPECT_EQ(r.error().message, "the TTL must be positive");
  r = registry_.create(t0_, "bob", std::nullopt, std::vector<std::uint8_t>(10), digester_);
  EXPECT_EQ(r.error().message, "a rendezvous session needs 48 random bytes, got 10");
  for (std::uint8_t i = 0; i < 3; ++i) mint(static_cast<std::uint8_t>(10 * i), std::nullopt, "carol");
  r = registry_.create(t0_, "carol", std::nullopt, random_bytes(200), digester_);
  EXPECT_EQ(r.error().message, "carol already has 3 rendezvous sessions, the most one principal may hold");
  mint(90, std::nullopt, "");
  mint(120, std::nullopt, "");
  r = registry_.create(t0_, "", std::nullopt, random_bytes(150), digester_);
  EXPECT_EQ(r.error().message, "this relay already holds 5 rendezvous sessions, the most it allows");
  EXPECT_EQ(registry_.list().size(), 5u);
}

}  // namespace
}  // namespace sshrelay::rendezvous
