// The rendezvous service's shared rules: leg URLs both ways, the admin API's JSON (swsrs's fields), Go
// durations, the create body, and who counts as a rendezvous admin.
#include "core/rendezvous/rendezvous_api.hpp"

#include <gtest/gtest.h>

#include "core/policy/target_policy.hpp"

namespace sshrelay::rendezvous {
namespace {

TEST(RendezvousApi, LegTargetsCarryTheTokenAndOnResumeTheLegAndAck) {
  EXPECT_EQ(leg_connect_target("/p", "abcdefghijklmnopqrstuv", "tok+en"), "/p/rendezvous/abcdefghijklmnopqrstuv?token=tok%2Ben");
  EXPECT_EQ(leg_resume_target("", "abcdefghijklmnopqrstuv", "t", "SIDSIDSIDSIDSIDSIDSIDS", 42),
            "/rendezvous/abcdefghijklmnopqrstuv?token=t&sid=SIDSIDSIDSIDSIDSIDSIDS&ack=42");
  EXPECT_EQ(invitation_link("https://relay.example/", "ID", "TOK"), "https://relay.example/#invite=ID.TOK");
  EXPECT_EQ(id_after("/rendezvous/abc", kLegPathPrefix), "abc");
  EXPECT_FALSE(id_after("/rendezvous/", kLegPathPrefix));
  EXPECT_FALSE(id_after("/rendezvous/a/b", kLegPathPrefix));
  EXPECT_FALSE(id_after("/relay", kPlainLegPathPrefix));
  EXPECT_TRUE(is_rendezvous_id("abcdefghijklmnopqrst-_"));
  EXPECT_FALSE(is_rendezvous_id("abcdefghijklmnopqrst+_"));
}

TEST(RendezvousApi, LegRequestsTakeTheBearerTokenFirstAndCheckResumeParameters) {
  QueryParams q{{"token", "from-query"}};
  EXPECT_EQ(parse_leg_request("id", q, "from-header", false)->token, "from-header");
  EXPECT_EQ(parse_leg_request("id", q, "", false)->token, "from-query");
  auto missing = parse_leg_request("id", {}, "", false);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "missing session token");
  QueryParams resume{{"token", "t"}, {"sid", "SIDSIDSIDSIDSIDSIDSIDS"}, {"ack", "17"}};
  auto r = parse_leg_request("id", resume, "", true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->resume_sid, "SIDSIDSIDSIDSIDSIDSIDS");
  EXPECT_EQ(r->resume_ack, 17u);
  EXPECT_FALSE(parse_leg_request("id", resume, "", false)) << "a plain leg cannot resume";
  resume["ack"] = "-1";
  EXPECT_NE(parse_leg_request("id", resume, "", true).error().message.find("ack="), std::string::npos);
}

TEST(RendezvousApi, DurationsUseGoSyntax) {
  EXPECT_EQ(*parse_duration("90m"), std::chrono::minutes(90));
  EXPECT_EQ(*parse_duration("1h30m"), std::chrono::minutes(90));
  EXPECT_EQ(*parse_duration("1.5h"), std::chrono::minutes(90));
  EXPECT_EQ(*parse_duration("250ms"), Duration(250));
  EXPECT_EQ(parse_duration("90").error().message, "\"90\" needs a unit (ms, s, m or h)");
  EXPECT_EQ(parse_duration("3d").error().message, "\"d\" is not a unit of time (ms, s, m or h)");
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("-5m"));
  EXPECT_FALSE(parse_duration("1..2s"));
  EXPECT_FALSE(parse_duration("9999h"));
}

TEST(RendezvousApi, CreateBodyIsEmptyOrATtl) {
  EXPECT_FALSE(*parse_create_body(""));
  EXPECT_FALSE(*parse_create_body("{}"));
  EXPECT_EQ(**parse_create_body(R"({"ttl":"10m"})"), std::chrono::minutes(10));
  EXPECT_EQ(**parse_create_body(R"({"ttl_seconds":30})"), std::chrono::seconds(30));
  EXPECT_EQ(parse_create_body(R"({"tll":"10m"})").error().message, "unknown field \"tll\" (ttl or ttl_seconds)");
  EXPECT_FALSE(parse_create_body(R"({"ttl":10})"));
  EXPECT_FALSE(parse_create_body("[1]"));
}

TEST(RendezvousApi, JsonUsesSwsrsFieldsAndUtcTimes) {
  const TimePoint t{std::chrono::hours(5)};
  const WallClock clock{t, std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000))};
  Created c{"abcdefghijklmnopqrstuv", "I", "R", t, t + std::chrono::hours(1)};
  auto j = created_json(c, "https://relay.example/", clock);
  EXPECT_EQ(j["created_at"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(j["expires_at"], "2023-11-14T23:13:20.000Z");
  EXPECT_EQ(j["initiator_url"], "https://relay.example/relay/abcdefghijklmnopqrstuv");
  EXPECT_EQ(j["initiator_token"], "I");
  EXPECT_FALSE(created_json(c, "", clock).contains("responder_url"));
  Status s;
  s.id = c.id;
  s.state = State::half_open;
  s.created_at = s.last_activity = t;
  s.expires_at = t + std::chrono::hours(1);
  s.initiator_connected = true;
  auto st = status_json(s, clock);
  EXPECT_EQ(st["state"], "half_open");
  EXPECT_EQ(st["initiator_connected"], true);
  EXPECT_FALSE(st.contains("initiator_token"));
  EXPECT_FALSE(st.contains("created_by"));
}

TEST(RendezvousAdmins, PatternsMatchNamesDomainsGroupsAndScopes) {
  auto admins = parse_rendezvous_admins(R"({"rendezvous_admins":["group:sre","scope:relay:admin","bob@x.org"]})");
  ASSERT_TRUE(admins);
  const PrincipalRule rule{*admins, {}, {}};
  EXPECT_TRUE(rule_matches(rule, {"carol@y.org", {"sre"}, {}}));
  EXPECT_TRUE(rule_matches(rule, {"dan@y.org", {}, {"openid", "relay:admin"}}));
  EXPECT_TRUE(rule_matches(rule, {"bob@x.org", {}, {}}));
  EXPECT_FALSE(rule_matches(rule, {"eve@x.org", {"dev"}, {"relay:read"}}));
  EXPECT_TRUE(parse_rendezvous_admins(R"({"rules":[]})")->empty());
  EXPECT_FALSE(parse_rendezvous_admins(R"({"rendezvous_admins":"group:sre"})"));
  // A policy file may hold only the admins.
  EXPECT_TRUE(parse_principal_rules(R"({"rendezvous_admins":["*"]})"));
  EXPECT_FALSE(parse_principal_rules(R"({"other":1})"));
}

}  // namespace
}  // namespace sshrelay::rendezvous
