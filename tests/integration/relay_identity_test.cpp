// Identity at the relay's door, end to end: sshrelayd with --identity-provider oidc (discovery and JWKS
// served over HTTPS by the token authority, tokens minted there by npm `jose`), v4 clients presenting the
// token as ?token=, and the audit trail written to a JSONL file. A valid token opens a session that is
// audited from start to close; every kind of bad token is closed with 4401 and audited as auth.denied;
// another principal cannot take over a session; a JWKS endpoint that is down at startup leaves /healthz
// up and v4 requests refused until it comes back. No token text ever reaches the log or the audit file.
#include <gtest/gtest.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/wire/query.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/token_authority.hpp"
#include "tests/support/files.hpp"
#include "tests/support/relay_daemon.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::itest {
namespace {

using nlohmann::json;
using testing::RelayDaemon;
using Kind = RawV4Socket::Message::Kind;

constexpr const char* kAudience = "relay";

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

class RelayIdentityTest : public ::testing::Test {
 protected:
  void start_relay(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--unsafe-allow-loopback",
                                     "--identity-provider", "oidc",
                                     "--identity-issuer", authority_.origin(),
                                     "--identity-audience", kAudience,
                                     "--identity-query-param", "token",
                                     "--identity-ca-file", authority_.ca_file(),
                                     "--identity-jwks-min-refresh-seconds", "1",
                                     "--audit-jsonl", audit_path(),
                                     "--audit-jsonl-fsync=no"};
    args.insert(args.end(), extra.begin(), extra.end());
    relay_.start(relayd_path(), std::move(args));
  }

  std::string audit_path() const { return dir_.file("audit.jsonl"); }

  std::string token_for(const std::string& email, const json& patch = json::object()) {
    const auto now = unix_now();
    json claims = {{"iss", authority_.origin()}, {"aud", kAudience}, {"exp", now + 300}, {"iat", now},
                   {"email", email}, {"sub", "user-" + email}};
    claims.merge_patch(patch);
    return authority_.mint({{"alg", "RS256"}, {"claims", claims}});
  }

  std::string connect_path(const std::string& token) const {
    return "/v4/connect?host=127.0.0.1&port=" + std::to_string(echo_.port()) + "&dstUsername=tester" +
           (token.empty() ? "" : "&token=" + token);
  }

  // Waits until the audit file holds `count` events of `action`; returns them.
  std::vector<json> wait_for_events(const std::string& action, std::size_t count) const {
    std::vector<json> events;
    wait_until([&] { return (events = read_audit_events(audit_path(), action)).size() >= count; }, 60s);
    EXPECT_EQ(events.size(), count) << action << diagnostics();
    return events;
  }

  // Neither the relay's log nor the audit file quotes any 16-character piece of `token`.
  void expect_nowhere(const std::string& token) const {
    const std::string log = relay_.log_text();
    const std::string audit = testing::read_file(audit_path());
    for (std::size_t at = 0; at + 16 <= token.size(); at += 16) {
      const auto piece = token.substr(at, 16);
      ASSERT_EQ(log.find(piece), std::string::npos) << "the relay log quotes the token: " << piece;
      ASSERT_EQ(audit.find(piece), std::string::npos) << "the audit trail quotes the token: " << piece;
    }
  }

  std::string diagnostics() const {
    return "\n--- relayd log:\n" + testing::file_tail(relay_.log_path(), 6000) + "\n--- audit:\n" +
           testing::file_tail(audit_path(), 6000);
  }

  testing::TempDir dir_{"sshrelay-relay-identity"};
  TokenAuthority authority_;
  TcpTarget echo_{TcpTarget::echo()};
  RelayDaemon relay_;
};

TEST_F(RelayIdentityTest, ValidTokenOpensASessionAuditedFromStartToClose) {
  start_relay({"--grace-seconds", "1"});
  const std::string token = token_for("alice@example.com");
  {
    RawV4Socket ws(relay_.port(), connect_path(token));
    auto connected = frame_of(ws.read());
    ASSERT_TRUE(std::holds_alternative<v4::ConnectSuccess>(connected)) << diagnostics();
    ASSERT_TRUE(ws.write_frame(v4::Data{bytes_of("ping")}));
    EXPECT_EQ(read_payload(ws, 4), "ping") << diagnostics();
    ws.reset();  // the network fails; the session waits 1 s (--grace-seconds) and closes
  }

  const auto starts = wait_for_events("session.start", 1);
  const auto closes = wait_for_events("session.close", 1);
  ASSERT_EQ(starts.size(), 1u);
  ASSERT_EQ(closes.size(), 1u);
  const json& start = starts.front();
  EXPECT_EQ(start.value("user.name", ""), "alice@example.com");
  EXPECT_EQ(start.value("source.ip", ""), "127.0.0.1");
  EXPECT_EQ(start.value("sshrelay.target", ""), "127.0.0.1:" + std::to_string(echo_.port()));
  EXPECT_EQ(start.value("sshrelay.target_user", ""), "tester");
  EXPECT_EQ(start.value("destination.ip", ""), "127.0.0.1");
  EXPECT_NE(start.value("url.original", "").find("token=REDACTED"), std::string::npos) << start.dump();
  const json& close = closes.front();
  EXPECT_EQ(close.value("sshrelay.sid", "x"), start.value("sshrelay.sid", "y"));
  EXPECT_EQ(close.value("source.bytes", 0), 4);
  EXPECT_EQ(close.value("destination.bytes", 0), 4);
  EXPECT_EQ(close.value("sshrelay.close.reason", ""), "grace period expired");
  EXPECT_TRUE(close.contains("sshrelay.duration_ms"));
  expect_nowhere(token);
}

TEST_F(RelayIdentityTest, EveryBadTokenIsClosedWith4401AndAudited) {
  start_relay();
  struct Case {
    std::string what;
    std::string token;
  };
  const auto now = unix_now();
  const json base = {{"iss", authority_.origin()}, {"aud", kAudience}, {"exp", now + 300}, {"email", "mallory@example.com"}};
  const std::vector<Case> cases = {
      {"no token", ""},
      {"expired", token_for("mallory@example.com", {{"exp", now - 3600}, {"iat", now - 7200}})},
      {"not yet valid", token_for("mallory@example.com", {{"nbf", now + 3600}})},
      {"wrong audience", token_for("mallory@example.com", {{"aud", "another-app"}})},
      {"wrong issuer", token_for("mallory@example.com", {{"iss", "https://evil.example"}})},
      {"alg none", authority_.mint({{"alg", "none"}, {"claims", base}})},
      {"HS256 with the public key as secret", authority_.mint({{"alg", "HS256"}, {"claims", base}})},
      {"signed by a key not in the JWKS", authority_.mint({{"alg", "RS256"}, {"claims", base}, {"key", "rogue-rsa"}})},
      {"malformed", "not.a-jwt"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    RawV4Socket ws(relay_.port(), connect_path(c.token));
    const auto m = ws.read(60s);
    ASSERT_EQ(m.kind, Kind::closed) << m.describe() << diagnostics();
    EXPECT_EQ(m.close_code, 4401) << m.close_reason;
  }
  const auto denied = wait_for_events("auth.denied", cases.size());
  for (const auto& event : denied) {
    EXPECT_EQ(event.value("sshrelay.close.code", 0), 4401);
    EXPECT_FALSE(event.value("event.reason", "").empty()) << event.dump();
    EXPECT_EQ(event.value("source.ip", ""), "127.0.0.1");
  }
  EXPECT_EQ(echo_.accepted(), 0u) << "a refused request reached the target";
  EXPECT_TRUE(read_audit_events(audit_path(), "session.start").empty());
  for (const auto& c : cases) expect_nowhere(c.token);
}

TEST_F(RelayIdentityTest, AnotherPrincipalCannotTakeOverASession) {
  start_relay();
  const std::string alice = token_for("alice@example.com");
  const std::string bob = token_for("bob@example.com");
  std::string sid;
  {
    RawV4Socket ws(relay_.port(), connect_path(alice));
    auto connected = frame_of(ws.read());
    ASSERT_TRUE(std::holds_alternative<v4::ConnectSuccess>(connected)) << diagnostics();
    sid = std::get<v4::ConnectSuccess>(connected).session_id;
    ws.reset();
  }
  const std::string reconnect = "/v4/reconnect?sid=" + percent_encode_component(sid) + "&ack=0&token=";
  {
    RawV4Socket ws(relay_.port(), reconnect + bob);
    const auto m = ws.read();
    ASSERT_EQ(m.kind, Kind::closed) << m.describe() << diagnostics();
    EXPECT_EQ(m.close_code, 4404);
    EXPECT_EQ(m.close_reason, "unknown session") << "the refusal must not reveal that the session exists";
  }
  const auto denied = wait_for_events("policy.denied", 1);
  ASSERT_EQ(denied.size(), 1u);
  EXPECT_EQ(denied.front().value("user.name", ""), "bob@example.com");
  EXPECT_EQ(denied.front().value("sshrelay.sid", ""), sid);
  EXPECT_EQ(denied.front().value("sshrelay.close.code", 0), 4404);
  EXPECT_NE(denied.front().value("event.reason", "").find("alice@example.com"), std::string::npos)
      << denied.front().dump();

  // The owner still can.
  RawV4Socket ws(relay_.port(), reconnect + alice);
  auto resumed = frame_of(ws.read());
  ASSERT_TRUE(std::holds_alternative<v4::ReconnectSuccess>(resumed)) << diagnostics();
  const auto reconnects = wait_for_events("session.reconnect", 1);
  ASSERT_EQ(reconnects.size(), 1u);
  EXPECT_EQ(reconnects.front().value("user.name", ""), "alice@example.com");
  EXPECT_EQ(reconnects.front().value("sshrelay.sid", ""), sid);
}

TEST_F(RelayIdentityTest, JwksDownAtStartupKeepsHealthzAndFailsClosedUntilItReturns) {
  authority_.down();
  start_relay();
  EXPECT_EQ(http_get(relay_.port(), "/healthz").status, 200u);
  const std::string token = token_for("alice@example.com");
  {
    RawV4Socket ws(relay_.port(), connect_path(token));
    const auto m = ws.read(60s);
    ASSERT_EQ(m.kind, Kind::closed) << m.describe() << diagnostics();
    EXPECT_EQ(m.close_code, 4401);
    EXPECT_EQ(m.close_reason, "identity could not be verified; try again later");
  }
  EXPECT_EQ(echo_.accepted(), 0u);

  authority_.up();
  // Retried until the relay has fetched the keys (its backoff decides when): a deadline, not a count of
  // attempts, since each attempt takes longer on a loaded machine.
  bool connected = false;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (!connected && std::chrono::steady_clock::now() < deadline) {
    RawV4Socket ws(relay_.port(), connect_path(token));
    const auto m = ws.read(60s);
    if (m.kind == Kind::message) {
      connected = std::holds_alternative<v4::ConnectSuccess>(frame_of(m));
    } else {
      std::this_thread::sleep_for(500ms);
    }
  }
  EXPECT_TRUE(connected) << "no session within 120 s of the JWKS coming back" << diagnostics();
}

}  // namespace
}  // namespace sshrelay::itest
