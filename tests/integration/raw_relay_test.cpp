// The plain WebSocket<->TCP endpoint (/relay, and /websockify for websockify's clients) through the
// real daemon, spoken by a raw client that frames every message itself: each binary message is bytes of
// the target's stream both ways; sessions are audited with their endpoint; refusals come before any
// upgrade as an HTTP status with a readable body and an audit event (origin, target policy, per-IP cap,
// missing or invalid token); --relay-target pins every /relay session to one target; /health answers.
#include <gtest/gtest.h>

#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/harness.hpp"
#include "tests/integration/raw_wire.hpp"
#include "tests/integration/token_authority.hpp"
#include "tests/support/files.hpp"
#include "tests/support/relay_daemon.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::itest {
namespace {

using nlohmann::json;
using testing::RelayDaemon;

constexpr std::uint8_t kBinary = 0x2;
constexpr std::uint8_t kClose = 0x8;

// A /relay client on a raw socket: upgrade, then masked binary frames out and the relay's frames in.
class RawRelayClient {
 public:
  // Sends the upgrade for `target`; upgraded() says whether the relay answered 101.
  RawRelayClient(std::uint16_t port, const std::string& target, const std::vector<std::string>& extra = {})
      : connection_(port) {
    connection_.send(upgrade_request(port, target, extra));
    response_ = connection_.read_http_response();
  }
  bool upgraded() const { return response_ && response_->status == 101; }
  unsigned status() const { return response_ ? response_->status : 0; }
  std::string body() const { return response_ ? response_->body : std::string(); }

  bool send(std::span<const std::uint8_t> bytes) { return connection_.send(client_frame(kBinary, bytes)); }
  // Reads binary frames until `n` bytes have arrived (appended to `into`); false if the stream ends or a
  // non-binary frame comes first.
  bool receive(std::size_t n, std::vector<std::uint8_t>& into) {
    const auto want = into.size() + n;
    while (into.size() < want) {
      auto frame = connection_.read_frame(std::chrono::seconds(30));
      if (!frame) return false;
      if (frame->opcode == 0x9) continue;  // a ping from the relay: nothing to do for this test
      if (frame->opcode != kBinary) {
        last_frame_ = std::move(frame);
        return false;
      }
      into.insert(into.end(), frame->payload.begin(), frame->payload.end());
    }
    return into.size() == want;
  }
  // Sends close 1000 and reads the relay's close frame.
  std::optional<RawFrame> close() {
    const std::uint8_t payload[] = {0x03, 0xe8};
    connection_.send(client_frame(kClose, payload));
    return connection_.read_close();
  }
  const std::optional<RawFrame>& last_frame() const { return last_frame_; }
  RawConnection& connection() { return connection_; }

 private:
  RawConnection connection_;
  std::optional<RawHttpResponse> response_;
  std::optional<RawFrame> last_frame_;
};

class RawRelayTest : public ::testing::Test {
 protected:
  void start_relay(std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"--audit-jsonl", audit_path(), "--audit-jsonl-fsync=no"});
    relay_.start(relayd_path(), std::move(extra));
  }
  std::string audit_path() const { return dir_.file("audit.jsonl"); }
  std::string echo_target() const { return "/relay?host=127.0.0.1&port=" + std::to_string(echo_.port()); }
  std::string diagnostics() const {
    return "\n--- relayd log:\n" + testing::file_tail(relay_.log_path(), 4000) + "\n--- audit:\n" +
           testing::file_tail(audit_path(), 4000);
  }
  std::vector<json> events(const std::string& action, std::size_t at_least) const {
    std::vector<json> found;
    wait_until([&] { return (found = read_audit_events(audit_path(), action)).size() >= at_least; }, 60s);
    return found;
  }

  // Sends `total` bytes in `message`-byte messages, reading each echo back before the next.
  void echo_through(RawRelayClient& client, std::size_t total, std::size_t message, std::uint64_t seed) {
    const auto sent = deterministic_bytes(total, seed);
    std::vector<std::uint8_t> received;
    for (std::size_t at = 0; at < total; at += message) {
      const auto n = std::min(message, total - at);
      ASSERT_TRUE(client.send(std::span(sent).subspan(at, n))) << diagnostics();
      ASSERT_TRUE(client.receive(n, received)) << "after " << at << " bytes" << diagnostics();
    }
    EXPECT_TRUE(received == sent) << "the echo differs from what was sent";
  }

  testing::TempDir dir_{"sshrelay-raw-relay"};
  TcpTarget echo_{TcpTarget::echo()};
  RelayDaemon relay_;
};

TEST_F(RawRelayTest, CarriesBinaryMessagesBothWaysAndAuditsTheEndpoint) {
  start_relay({"--unsafe-allow-loopback"});
  {
    RawRelayClient client(relay_.port(), echo_target());
    ASSERT_TRUE(client.upgraded()) << client.status() << " " << client.body() << diagnostics();
    echo_through(client, 4 << 20, 16 * 1024, 1);
    auto close = client.close();
    ASSERT_TRUE(close) << diagnostics();
    EXPECT_EQ(close->close_code(), 1000);
  }
  const auto starts = events("session.start", 1);
  const auto closes = events("session.close", 1);
  ASSERT_EQ(starts.size(), 1u) << diagnostics();
  ASSERT_EQ(closes.size(), 1u) << diagnostics();
  EXPECT_EQ(starts.front().value("sshrelay.endpoint", ""), "relay");
  EXPECT_EQ(starts.front().value("sshrelay.target", ""), "127.0.0.1:" + std::to_string(echo_.port()));
  EXPECT_EQ(closes.front().value("sshrelay.endpoint", ""), "relay");
  EXPECT_EQ(closes.front().value("source.bytes", 0ull), 4ull << 20) << diagnostics();
  EXPECT_EQ(closes.front().value("destination.bytes", 0ull), 4ull << 20) << diagnostics();
}

TEST_F(RawRelayTest, TargetEofClosesTheWebSocketAfterItsBytes) {
  start_relay({"--unsafe-allow-loopback"});
  TcpTarget speaker(TcpTarget::push(std::make_shared<const std::vector<std::uint8_t>>(deterministic_bytes(300 * 1024, 7))));
  RawRelayClient client(relay_.port(), "/relay?host=127.0.0.1&port=" + std::to_string(speaker.port()));
  ASSERT_TRUE(client.upgraded()) << diagnostics();
  std::vector<std::uint8_t> received;
  ASSERT_TRUE(client.receive(300 * 1024, received)) << diagnostics();
  EXPECT_TRUE(received == deterministic_bytes(300 * 1024, 7));
  auto close = client.connection().read_close();
  ASSERT_TRUE(close) << "the target's EOF must close the WebSocket" << diagnostics();
  EXPECT_EQ(close->close_code(), 1000);
}

TEST_F(RawRelayTest, WebsockifyPathAndFixedTargetMode) {
  start_relay({"--relay-target", "127.0.0.1:" + std::to_string(echo_.port())});
  // No host= or port=: websockify's clients name no target; the operator's is used. Loopback is not
  // allowed by policy here, which the fixed target bypasses (the operator chose it).
  for (const std::string target : {"/websockify", "/relay", "/relay?host=10.1.2.3&port=22"}) {
    SCOPED_TRACE(target);
    RawRelayClient client(relay_.port(), target);
    ASSERT_TRUE(client.upgraded()) << client.status() << " " << client.body() << diagnostics();
    echo_through(client, 64 * 1024, 4096, 2);
  }
  const auto starts = events("session.start", 3);
  ASSERT_EQ(starts.size(), 3u) << diagnostics();
  for (const auto& start : starts) {
    EXPECT_EQ(start.value("sshrelay.target", ""), "127.0.0.1:" + std::to_string(echo_.port()));
  }
  // v4 is not pinned: its targets are still judged by the policy.
  RawConnection v4(relay_.port());
  v4.send(upgrade_request(relay_.port(), "/v4/connect?host=127.0.0.1&port=" + std::to_string(echo_.port())));
  auto response = v4.read_http_response();
  ASSERT_TRUE(response && response->status == 101) << diagnostics();
  auto close = v4.read_close();
  ASSERT_TRUE(close) << diagnostics();
  EXPECT_EQ(close->close_code(), 4403) << close->close_reason();
}

TEST_F(RawRelayTest, RefusalsAreHttpStatusesWithAReasonAndAnAuditEvent) {
  start_relay({"--unsafe-allow-loopback", "--max-connections-per-ip", "1"});

  RawRelayClient bad_origin(relay_.port(), echo_target(), {"Origin: https://evil.example"});
  EXPECT_EQ(bad_origin.status(), 403u) << bad_origin.body() << diagnostics();
  EXPECT_NE(bad_origin.body().find("origin https://evil.example is not allowed"), std::string::npos) << bad_origin.body();

  RawRelayClient metadata(relay_.port(), "/relay?host=169.254.169.254&port=80");
  EXPECT_EQ(metadata.status(), 403u) << metadata.body() << diagnostics();
  EXPECT_NE(metadata.body().find("169.254.169.254"), std::string::npos) << metadata.body();

  RawRelayClient no_target(relay_.port(), "/relay?port=22");
  EXPECT_EQ(no_target.status(), 400u) << no_target.body() << diagnostics();
  EXPECT_NE(no_target.body().find("host"), std::string::npos) << no_target.body();

  RawRelayClient first(relay_.port(), echo_target());
  ASSERT_TRUE(first.upgraded()) << diagnostics();
  RawRelayClient second(relay_.port(), echo_target());
  EXPECT_EQ(second.status(), 429u) << second.body() << diagnostics();
  EXPECT_NE(second.body().find("too many connections from your address"), std::string::npos) << second.body();

  const auto denials = events("policy.denied", 4);
  ASSERT_EQ(denials.size(), 4u) << diagnostics();
  EXPECT_EQ(denials[0].value("event.reason", ""), "origin not allowed");
  EXPECT_EQ(denials[0].value("sshrelay.close.code", 0), 4403);
  EXPECT_EQ(denials[1].value("sshrelay.target", ""), "169.254.169.254:80");
  EXPECT_EQ(denials[3].value("event.reason", ""), "per-source connection cap");
  EXPECT_EQ(denials[3].value("sshrelay.close.code", 0), 4429);
  for (const auto& denial : denials) EXPECT_EQ(denial.value("sshrelay.endpoint", ""), "relay") << denial.dump();

  // The first session still works: a refusal touches nothing else.
  echo_through(first, 32 * 1024, 4096, 3);
}

TEST_F(RawRelayTest, HealthAnswersOk) {
  start_relay();
  RawConnection connection(relay_.port());
  connection.send(get_request(relay_.port(), "/health"));
  auto response = connection.read_http_response();
  ASSERT_TRUE(response) << diagnostics();
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(response->body, "ok");
}

// Identity on /relay: the same OIDC token as v4 (here in ?token=), but refused with HTTP 401 before
// any upgrade.
class RawRelayIdentityTest : public RawRelayTest {
 protected:
  void start_oidc_relay() {
    start_relay({"--unsafe-allow-loopback", "--identity-provider", "oidc", "--identity-issuer", authority_.origin(),
                 "--identity-audience", "relay", "--identity-query-param", "token", "--identity-ca-file",
                 authority_.ca_file()});
  }
  std::string token_for(const std::string& email) {
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    json claims = {{"iss", authority_.origin()}, {"aud", "relay"}, {"exp", now + 300}, {"iat", now}, {"email", email}};
    return authority_.mint({{"alg", "RS256"}, {"claims", claims}});
  }
  TokenAuthority authority_;
};

TEST_F(RawRelayIdentityTest, MissingOrInvalidTokenIs401AndAuditedValidTokenOpens) {
  start_oidc_relay();
  RawRelayClient missing(relay_.port(), echo_target());
  EXPECT_EQ(missing.status(), 401u) << missing.body() << diagnostics();
  EXPECT_NE(missing.body().find("identity"), std::string::npos) << missing.body();

  RawRelayClient invalid(relay_.port(), echo_target() + "&token=not.a.jwt");
  EXPECT_EQ(invalid.status(), 401u) << invalid.body() << diagnostics();

  const auto denials = events("auth.denied", 2);
  ASSERT_EQ(denials.size(), 2u) << diagnostics();
  for (const auto& denial : denials) {
    EXPECT_EQ(denial.value("sshrelay.endpoint", ""), "relay");
    EXPECT_EQ(denial.value("sshrelay.close.code", 0), 4401);
  }

  RawRelayClient valid(relay_.port(), echo_target() + "&token=" + token_for("alice@example.com"));
  ASSERT_TRUE(valid.upgraded()) << valid.status() << " " << valid.body() << diagnostics();
  echo_through(valid, 16 * 1024, 4096, 4);
  const auto starts = events("session.start", 1);
  ASSERT_EQ(starts.size(), 1u) << diagnostics();
  EXPECT_EQ(starts.front().value("user.name", ""), "alice@example.com");
}

}  // namespace
}  // namespace sshrelay::itest
