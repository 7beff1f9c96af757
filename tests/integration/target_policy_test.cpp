// The target policy as a client meets it, through the real daemon: every form of "the relay's own
// machine" or "the cloud metadata service" is refused with 4403 and audited as policy.denied (a name that
// resolves to loopback too: the checked address is the dialed one); the same targets work once allowed by
// config; per-principal rules from a policy file; and source-port pinning as the target sees it.
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/wire/query.hpp"
#include "tests/integration/harness.hpp"
#include "tests/support/files.hpp"
#include "tests/support/relay_daemon.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::itest {
namespace {

using testing::RelayDaemon;
using Kind = RawV4Socket::Message::Kind;

class TargetPolicyTest : public ::testing::Test {
 protected:
  void start_relay(std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"--audit-jsonl", audit_path(), "--audit-jsonl-fsync=no"});
    relay_.start(relayd_path(), std::move(extra));
  }
  std::string audit_path() const { return dir_.file("audit.jsonl"); }
  std::string diagnostics() const {
    return "\n--- relayd log:\n" + testing::file_tail(relay_.log_path(), 6000) + "\n--- audit:\n" +
           testing::file_tail(audit_path(), 4000);
  }

  // Opens /v4/connect to host:port and returns the first thing the relay answers.
  RawV4Socket::Message connect(const std::string& host, std::uint16_t port) const {
    RawV4Socket ws(relay_.port(), "/v4/connect?host=" + percent_encode_component(host) +
                                      "&port=" + std::to_string(port) + "&dstUsername=tester");
    return ws.read(60s);
  }

  testing::TempDir dir_{"sshrelay-target-policy"};
  TcpTarget echo_{TcpTarget::echo()};  // on 127.0.0.1: a refusal that failed would reach it
  RelayDaemon relay_;
  IoThread io_;
};

// The SSRF cases of design.md §5, each as the user would type it.
const std::vector<std::string> kLoopbackForms = {"127.0.0.1", "::1", "[::1]", "::ffff:127.0.0.1", "0.0.0.0",
                                                 "2130706433", "localhost"};

TEST_F(TargetPolicyTest, LoopbackMetadataAndUnspecifiedAreRefusedWith4403ByDefault) {
  start_relay();
  std::vector<std::string> hosts = kLoopbackForms;
  hosts.push_back("169.254.169.254");
  for (const auto& host : hosts) {
    SCOPED_TRACE(host);
    const auto m = connect(host, echo_.port());
    ASSERT_EQ(m.kind, Kind::closed) << m.describe() << diagnostics();
    EXPECT_EQ(m.close_code, 4403) << m.close_reason;
  }
  EXPECT_EQ(echo_.accepted(), 0u) << "a refused target was dialed";

  std::vector<nlohmann::json> denied;
  wait_until([&] { return (denied = read_audit_events(audit_path(), "policy.denied")).size() >= hosts.size(); }, 60s);
  ASSERT_EQ(denied.size(), hosts.size()) << diagnostics();
  for (const auto& event : denied) {
    EXPECT_EQ(event.value("sshrelay.close.code", 0), 4403);
    EXPECT_EQ(event.value("user.name", ""), "anonymous");
    EXPECT_FALSE(event.value("event.reason", "").empty());
  }
}

TEST_F(TargetPolicyTest, LoopbackWorksOnceAllowedButMetadataStaysDenied) {
  start_relay({"--unsafe-allow-loopback"});
  for (const std::string host : {"127.0.0.1", "localhost", "2130706433"}) {
    SCOPED_TRACE(host);
    const auto m = connect(host, echo_.port());
    ASSERT_EQ(m.kind, Kind::message) << m.describe() << diagnostics();
    EXPECT_TRUE(std::holds_alternative<v4::ConnectSuccess>(frame_of(m)));
  }
  const auto metadata = connect("169.254.169.254", 80);
  ASSERT_EQ(metadata.kind, Kind::closed) << metadata.describe();
  EXPECT_EQ(metadata.close_code, 4403);
  const auto unspecified = connect("0.0.0.0", echo_.port());
  ASSERT_EQ(unspecified.kind, Kind::closed) << unspecified.describe();
  EXPECT_EQ(unspecified.close_code, 4403);
}

TEST_F(TargetPolicyTest, PerPrincipalRulesFromThePolicyFile) {
  const std::string rules = dir_.file("rules.json");
  testing::write_file(rules, R"({"rules": [{"principals": ["*@sre.example.com"], "allow": ["127.0.0.1/32"], "ports": ")" +
                                 std::to_string(echo_.port()) + R"("}]})");
  relay_.start(relayd_path(), {"--unsafe-allow-loopback", "--identity-provider", "none", "--identity-upstream-enforces-auth",
                               "--identity-user-header", "X-User", "--policy-file", rules});
  const auto as = [&](const std::string& user, std::uint16_t port) {
    auto options = client_options(relay_.port(), "127.0.0.1", port);
    options.transport.headers.emplace_back("X-User", user);
    return open_and_stop(io_.ioc(), std::move(options));
  };
  EXPECT_EQ(as("alice@sre.example.com", echo_.port()), "connected") << diagnostics();
  EXPECT_NE(as("bob@sales.example.com", echo_.port()).find("code=4403"), std::string::npos) << diagnostics();
  EXPECT_NE(as("alice@sre.example.com", 1).find("code=4403"), std::string::npos) << "port outside the rule";
}

TEST_F(TargetPolicyTest, PinnedSourcePortsAreWhatTheTargetSees) {
  // Outside the kernel's ephemeral range (32768-60999): on a busy machine a stray outgoing connection
  // could hold a port in that range, and the relay could not pin it.
  constexpr std::uint16_t kFirst = 20410;
  constexpr std::uint16_t kLast = 20419;
  std::mutex mutex;
  std::vector<std::uint16_t> seen;
  TcpTarget target([&](tcp::socket& socket) {
    {
      std::lock_guard lock(mutex);
      seen.push_back(socket.remote_endpoint().port());
    }
    TcpTarget::echo()(socket);
  });
  start_relay({"--unsafe-allow-loopback", "--source-port-range",
               std::to_string(kFirst) + "-" + std::to_string(kLast)});
  std::vector<std::unique_ptr<RawV4Socket>> sessions;
  for (int i = 0; i < 3; ++i) {
    sessions.push_back(std::make_unique<RawV4Socket>(relay_.port(), "/v4/connect?host=127.0.0.1&port=" +
                                                                         std::to_string(target.port())));
    ASSERT_TRUE(std::holds_alternative<v4::ConnectSuccess>(frame_of(sessions.back()->read()))) << diagnostics();
  }
  ASSERT_TRUE(wait_until([&] { std::lock_guard lock(mutex); return seen.size() == 3; }, 60s));
  std::set<std::uint16_t> distinct;
  {
    std::lock_guard lock(mutex);
    distinct.insert(seen.begin(), seen.end());
    for (const auto port : seen) {
      EXPECT_GE(port, kFirst);
      EXPECT_LE(port, kLast);
    }
  }
  EXPECT_EQ(distinct.size(), 3u) << "two live sessions shared a source port";

  std::vector<nlohmann::json> starts;
  wait_until([&] { return (starts = read_audit_events(audit_path(), "session.start")).size() >= 3; }, 60s);
  ASSERT_EQ(starts.size(), 3u) << diagnostics();
  std::set<std::uint16_t> audited;
  for (const auto& event : starts) audited.insert(event.value("source.nat.port", std::uint16_t{0}));
  EXPECT_EQ(audited, distinct) << "the audit trail names the ports the target saw";
}

}  // namespace
}  // namespace sshrelay::itest
