// Limits a crowd meets, through the real daemon: the per-principal and relay-wide session caps and the
// per-source connection rate (all 4429, audited as policy.denied), and whose address counts as the
// source: X-Forwarded-For only from a trusted proxy.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/integration/harness.hpp"
#include "tests/support/files.hpp"
#include "tests/support/relay_daemon.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::itest {
namespace {

using testing::RelayDaemon;
using Kind = RawV4Socket::Message::Kind;

class SessionLimitsTest : public ::testing::Test {
 protected:
  void start_relay(std::vector<std::string> extra) {
    extra.insert(extra.end(), {"--unsafe-allow-loopback", "--audit-jsonl", audit_path(), "--audit-jsonl-fsync=no"});
    relay_.start(relayd_path(), std::move(extra));
  }
  std::string audit_path() const { return dir_.file("audit.jsonl"); }
  std::string connect_path() const { return "/v4/connect?host=127.0.0.1&port=" + std::to_string(echo_.port()); }
  std::string diagnostics() const {
    return "\n--- relayd log:\n" + testing::file_tail(relay_.log_path(), 4000) + "\n--- audit:\n" +
           testing::file_tail(audit_path(), 4000);
  }

  // Opens sessions and keeps them; returns the refusal of the first one that is refused, or when none is,
  // the last one's first message (its CONNECT_SUCCESS).
  RawV4Socket::Message open_until_refused(int count, const RawV4Socket::Headers& headers = {}) {
    RawV4Socket::Message m;
    for (int i = 0; i < count; ++i) {
      held_.push_back(std::make_unique<RawV4Socket>(relay_.port(), connect_path(), "", 30s, headers));
      m = held_.back()->read();
      if (m.kind != Kind::message) return m;
    }
    return m;
  }

  std::vector<nlohmann::json> denials(std::size_t at_least) const {
    std::vector<nlohmann::json> events;
    wait_until([&] { return (events = read_audit_events(audit_path(), "policy.denied")).size() >= at_least; }, 60s);
    return events;
  }

  testing::TempDir dir_{"sshrelay-session-limits"};
  TcpTarget echo_{TcpTarget::echo()};
  RelayDaemon relay_;
  IoThread io_;
  std::vector<std::unique_ptr<RawV4Socket>> held_;
};

TEST_F(SessionLimitsTest, PerPrincipalCap) {
  // The principal comes from a header a trusted front proxy sets (provider none with a user header).
  start_relay({"--max-sessions-per-principal", "2", "--identity-user-header", "X-Forwarded-Email"});
  const RawV4Socket::Headers alice = {{"X-Forwarded-Email", "alice@example.com"}};
  const auto refused = open_until_refused(3, alice);
  ASSERT_EQ(refused.kind, Kind::closed) << refused.describe() << diagnostics();
  EXPECT_EQ(refused.close_code, 4429);
  EXPECT_EQ(refused.close_reason, "you have too many sessions open on this relay");
  EXPECT_EQ(held_.size(), 3u) << "the third session was the one refused";
  const auto events = denials(1);
  ASSERT_EQ(events.size(), 1u) << diagnostics();
  EXPECT_EQ(events.front().value("event.reason", ""), "per-principal session cap");
  EXPECT_EQ(events.front().value("user.name", ""), "alice@example.com");
  // Another principal still gets in.
  EXPECT_EQ(open_until_refused(1, {{"X-Forwarded-Email", "bob@example.com"}}).kind, Kind::message) << diagnostics();
}

// As in the Python relay: sessions without an identity are nobody's, so the per-principal cap does not
// pool them (only the relay-wide and per-address caps apply).
TEST_F(SessionLimitsTest, PerPrincipalCapLeavesIdentityLessSessionsAlone) {
  start_relay({"--max-sessions-per-principal", "2"});
  const auto refused = open_until_refused(4);
  EXPECT_EQ(refused.kind, Kind::message) << refused.describe() << diagnostics();
  EXPECT_EQ(held_.size(), 4u);
}

TEST_F(SessionLimitsTest, RelayWideCap) {
  start_relay({"--max-sessions-total", "2"});
  const auto refused = open_until_refused(3);
  ASSERT_EQ(refused.kind, Kind::closed) << refused.describe() << diagnostics();
  EXPECT_EQ(refused.close_code, 4429);
  EXPECT_EQ(refused.close_reason, "too many sessions on this relay");
  EXPECT_EQ(held_.size(), 3u);
}

TEST_F(SessionLimitsTest, ConnectionRatePerSource) {
  start_relay({"--connect-rate-per-minute", "3"});
  const auto refused = open_until_refused(5);
  ASSERT_EQ(refused.kind, Kind::closed) << refused.describe() << diagnostics();
  EXPECT_EQ(refused.close_code, 4429);
  EXPECT_EQ(refused.close_reason, "too many connection attempts; try again in a minute");
  EXPECT_EQ(held_.size(), 4u) << "three attempts a minute, the fourth refused";
  const auto events = denials(1);
  ASSERT_EQ(events.size(), 1u) << diagnostics();
  EXPECT_EQ(events.front().value("event.reason", ""), "connection rate limit");
}

TEST_F(SessionLimitsTest, ForwardedForCountsOnlyFromATrustedProxy) {
  start_relay({"--trusted-proxies", "127.0.0.1/32"});
  auto options = client_options(relay_.port(), "127.0.0.1", echo_.port());
  options.transport.headers.emplace_back("X-Forwarded-For", "198.51.100.1, 203.0.113.7");
  ASSERT_EQ(open_and_stop(io_.ioc(), options), "connected") << diagnostics();
  std::vector<nlohmann::json> starts;
  wait_until([&] { return !(starts = read_audit_events(audit_path(), "session.start")).empty(); }, 60s);
  ASSERT_EQ(starts.size(), 1u) << diagnostics();
  // The right-most address not a trusted proxy: what the proxy saw.
  EXPECT_EQ(starts.front().value("source.ip", ""), "203.0.113.7");
  EXPECT_FALSE(starts.front().contains("source.port")) << "the TCP peer's port is the proxy's";
}

// CF-Connecting-IP (Cloudflare, cloudflared) and X-Real-IP (nginx, Apache) count from a trusted proxy only.
TEST_F(SessionLimitsTest, CfConnectingIpCountsOnlyFromATrustedProxy) {
  const auto source_ip_with = [&](const std::string& name, std::vector<std::string> relay_args) {
    const std::string audit = dir_.file(name + ".jsonl");
    relay_args.insert(relay_args.end(), {"--unsafe-allow-loopback", "--audit-jsonl", audit, "--audit-jsonl-fsync=no"});
    RelayDaemon relay;
    relay.start(relayd_path(), relay_args);
    auto options = client_options(relay.port(), "127.0.0.1", echo_.port());
    options.transport.headers.emplace_back("CF-Connecting-IP", "203.0.113.44");
    options.transport.headers.emplace_back("X-Real-IP", "198.51.100.44");
    EXPECT_EQ(open_and_stop(io_.ioc(), options), "connected") << testing::file_tail(relay.log_path(), 4000);
    std::vector<nlohmann::json> starts;
    wait_until([&] { return !(starts = read_audit_events(audit, "session.start")).empty(); }, 60s);
    return starts.empty() ? std::string("(no session.start)") : starts.front().value("source.ip", "");
  };
  EXPECT_EQ(source_ip_with("trusted", {"--trusted-proxies", "127.0.0.1/32"}), "203.0.113.44");
  EXPECT_EQ(source_ip_with("untrusted", {}), "127.0.0.1") << "from an untrusted peer the headers are ignored";
}

TEST_F(SessionLimitsTest, ForwardedForFromAnyoneElseIsIgnored) {
  start_relay({});
  auto options = client_options(relay_.port(), "127.0.0.1", echo_.port());
  options.transport.headers.emplace_back("X-Forwarded-For", "203.0.113.7");
  ASSERT_EQ(open_and_stop(io_.ioc(), options), "connected") << diagnostics();
  std::vector<nlohmann::json> starts;
  wait_until([&] { return !(starts = read_audit_events(audit_path(), "session.start")).empty(); }, 60s);
  ASSERT_EQ(starts.size(), 1u) << diagnostics();
  EXPECT_EQ(starts.front().value("source.ip", ""), "127.0.0.1");
}

}  // namespace
}  // namespace sshrelay::itest
