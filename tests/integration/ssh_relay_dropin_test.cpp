// sshrelayd as a drop-in for the Python relay (ssh-relay): the env files of its README start the daemon
// unchanged, and a real session through each is audited to stderr in its own event format, checked field
// by field against its documented schema (session.start, session.reconnect, session.close).
//
// Two lines are added to its env files, and only because of where the test runs: the target is an echo
// server on 127.0.0.1 (RELAY_UNSAFE_ALLOW_LOOPBACK, which its own tests set too), and the Cloudflare
// keys come from a local JWKS instead of <team>.cloudflareaccess.com (RELAY_IDENTITY_JWKS_URL and
// RELAY_IDENTITY_CA_FILE).
#include <gtest/gtest.h>

#include <ctime>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/wire/close_code.hpp"
#include "core/wire/query.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/token_authority.hpp"
#include "tests/support/files.hpp"
#include "tests/support/relay_daemon.hpp"

namespace sshrelay::itest {
namespace {

using nlohmann::json;
using Event = nlohmann::ordered_json;
using testing::RelayDaemon;
using Env = std::vector<std::pair<std::string, std::string>>;

// README.md, "Minimum env to smoke-test before cloudflared is wired up".
const Env kMinimumEnv = {{"RELAY_PUBLIC_HOST", "ssh-relay.example.com"},
                         {"RELAY_PUBLIC_PORT", "443"},
                         {"RELAY_IDENTITY_PROVIDER", "none"},
                         {"RELAY_AUTH_REQUIRED", "false"},
                         {"RELAY_LOG_SINKS", "stderr"}};

// README.md, "When you add cloudflared + CF Access, flip four lines and restart".
const Env kFlipFourLines = {{"RELAY_IDENTITY_PROVIDER", "cloudflare-access"},
                            {"RELAY_CF_TEAM_DOMAIN", "yourteam"},
                            {"RELAY_CF_AUDIENCE", "aud-from-access-app"},
                            {"RELAY_AUTH_REQUIRED", "true"}};

Env with(Env base, const Env& changes) {
  for (const auto& [name, value] : changes) {
    auto it = std::find_if(base.begin(), base.end(), [&](const auto& kv) { return kv.first == name; });
    if (it != base.end()) it->second = value;
    else base.emplace_back(name, value);
  }
  return base;
}

// The audit events (JSON lines with an "event" key) in the daemon's stderr, keys in the order written.
std::vector<Event> audit_lines(const RelayDaemon& relay, const std::string& event) {
  std::vector<Event> out;
  std::istringstream log(relay.log_text());
  for (std::string line; std::getline(log, line);) {
    if (line.empty() || line.front() != '{') continue;
    auto j = Event::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.value("event", "") == event) out.push_back(std::move(j));
  }
  return out;
}

std::vector<std::string> keys(const Event& j) {
  std::vector<std::string> out;
  for (const auto& item : j.items()) out.push_back(item.key());
  return out;
}

class SshRelayDropInTest : public ::testing::Test {
 protected:
  std::string log() const { return "\n--- relayd log:\n" + testing::file_tail(relay_.log_path(), 6000); }

  std::string connect_path() const {
    return "/v4/connect?host=127.0.0.1&port=" + std::to_string(echo_.port()) + "&dstUsername=tester";
  }

  // A session with one drop and one reconnect, ended by the client: returns its sid.
  std::string session_with_a_reconnect(const RawV4Socket::Headers& headers) {
    std::string sid;
    {
      RawV4Socket first(relay_.port(), connect_path(), "", 30s, headers);
      auto connected = frame_of(first.read());
      EXPECT_TRUE(std::holds_alternative<v4::ConnectSuccess>(connected)) << log();
      if (!std::holds_alternative<v4::ConnectSuccess>(connected)) return {};
      sid = std::get<v4::ConnectSuccess>(connected).session_id;
      EXPECT_TRUE(first.write_frame(v4::Data{bytes_of("SSH-2.0-DropInTest_1.0\r\n")}));
      EXPECT_EQ(read_payload(first, 24), "SSH-2.0-DropInTest_1.0\r\n") << log();
      first.reset();  // the network drops
    }
    EXPECT_TRUE(wait_until([&] { return relay_.log_text().find("sid=" + sid + " detached") != std::string::npos; }, 60s))
        << log();
    RawV4Socket again(relay_.port(), "/v4/reconnect?sid=" + percent_encode_component(sid) + "&ack=24", "", 30s, headers);
    EXPECT_TRUE(std::holds_alternative<v4::ReconnectSuccess>(frame_of(again.read()))) << log();
    EXPECT_TRUE(again.write_frame(v4::Data{bytes_of("more")}));
    EXPECT_EQ(read_payload(again, 4), "more") << log();
    again.close_with(close_code::client_ended, "done");
    EXPECT_TRUE(wait_until([&] { return !audit_lines(relay_, "session.close").empty(); }, 60s)) << log();
    return sid;
  }

  TcpTarget echo_{TcpTarget::echo()};
  RelayDaemon relay_;
};

TEST_F(SshRelayDropInTest, MinimumEnvStartsAndAuditsASessionInItsFormat) {
  relay_.start(relayd_path(), {}, with(kMinimumEnv, {{"RELAY_UNSAFE_ALLOW_LOOPBACK", "true"}}));
  EXPECT_EQ(relay_.log_text().find("names no setting"), std::string::npos) << log();
  const std::string sid = session_with_a_reconnect({{"User-Agent", "DropInTest/1.0"}});
  ASSERT_FALSE(sid.empty());

  const auto starts = audit_lines(relay_, "session.start");
  ASSERT_EQ(starts.size(), 1u) << log();
  const Event& start = starts.front();
  EXPECT_EQ(keys(start), (std::vector<std::string>{"event", "ts", "ts_unix", "session_id", "identity", "source_ip",
                                                   "source_port", "user_agent", "target_host", "target_port",
                                                   "target_username", "dial_seconds"}))
      << start.dump();
  EXPECT_EQ(start["session_id"], sid);
  EXPECT_TRUE(start["identity"].is_null()) << "nobody vouched for an unauthenticated session";
  EXPECT_EQ(start["source_ip"], "127.0.0.1");
  EXPECT_TRUE(start["source_port"].is_number_integer()) << "the relay's outbound port";
  EXPECT_EQ(start["user_agent"], "DropInTest/1.0");
  EXPECT_EQ(start["target_host"], "127.0.0.1");
  EXPECT_EQ(start["target_port"], echo_.port());
  EXPECT_EQ(start["target_username"], "tester");
  EXPECT_TRUE(start["dial_seconds"].is_number()) << start.dump();
  EXPECT_TRUE(start["ts"].get<std::string>().ends_with("+00:00")) << start.dump();
  EXPECT_NEAR(start["ts_unix"].get<double>(), static_cast<double>(std::time(nullptr)), 600.0);

  const auto reconnects = audit_lines(relay_, "session.reconnect");
  ASSERT_EQ(reconnects.size(), 1u) << log();
  EXPECT_EQ(keys(reconnects.front()), (std::vector<std::string>{"event", "ts", "ts_unix", "session_id", "source_ip",
                                                                "user_agent", "resume_ack", "reconnect_count"}))
      << reconnects.front().dump();
  EXPECT_EQ(reconnects.front()["session_id"], sid);
  EXPECT_EQ(reconnects.front()["resume_ack"], 24);
  EXPECT_EQ(reconnects.front()["reconnect_count"], 1);

  const auto closes = audit_lines(relay_, "session.close");
  ASSERT_EQ(closes.size(), 1u) << log();
  const Event& close = closes.front();
  EXPECT_EQ(keys(close), (std::vector<std::string>{"event", "ts", "ts_unix", "session_id", "reason", "error",
                                                   "duration_seconds", "bytes_to_target", "bytes_from_target",
                                                   "reconnect_count", "client_ssh_banner", "target_ssh_banner",
                                                   "identity", "source_port", "target_host", "target_port"}))
      << close.dump();
  EXPECT_EQ(close["session_id"], sid);
  EXPECT_EQ(close["reason"], "closed");
  EXPECT_TRUE(close["error"].is_null());
  EXPECT_EQ(close["bytes_to_target"], 28);
  EXPECT_EQ(close["bytes_from_target"], 28);
  EXPECT_EQ(close["reconnect_count"], 1);
  EXPECT_EQ(close["client_ssh_banner"], "SSH-2.0-DropInTest_1.0");
  EXPECT_EQ(close["target_ssh_banner"], "SSH-2.0-DropInTest_1.0") << "the echo target says it back";
  EXPECT_EQ(close["source_port"], start["source_port"]);

  // Its handshake: a /cookie request (the Secure Shell extension finding the relay).
  ASSERT_EQ(http_get(relay_.port(), "/cookie?ext=iodihamcpbpeioajjeobimgagajmlibd&path=html/nassh.html", 30s,
                     {{"User-Agent", "DropInTest/1.0"}}).status, 200u);
  ASSERT_TRUE(wait_until([&] { return !audit_lines(relay_, "handshake").empty(); }, 60s)) << log();
  const Event handshake = audit_lines(relay_, "handshake").front();
  EXPECT_EQ(keys(handshake), (std::vector<std::string>{"event", "event_id", "ts", "ts_epoch", "identity", "source_ip",
                                                       "user_agent", "extension_id", "redirect_path"}))
      << handshake.dump();
  EXPECT_EQ(handshake["event_id"].get<std::string>().size(), 32u);
  EXPECT_EQ(handshake["extension_id"], "iodihamcpbpeioajjeobimgagajmlibd");
  EXPECT_EQ(handshake["redirect_path"], "html/nassh.html");
  EXPECT_EQ(handshake["user_agent"], "DropInTest/1.0");
}

TEST_F(SshRelayDropInTest, CloudflareAccessEnvStartsAndAuditsWhoConnected) {
  TokenAuthority authority;
  const Env env = with(with(kMinimumEnv, kFlipFourLines),
                       {{"RELAY_UNSAFE_ALLOW_LOOPBACK", "true"},
                        {"RELAY_IDENTITY_JWKS_URL", authority.jwks_url()},
                        {"RELAY_IDENTITY_CA_FILE", authority.ca_file()}});
  relay_.start(relayd_path(), {}, env);
  EXPECT_EQ(relay_.log_text().find("names no setting"), std::string::npos) << log();
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  const std::string token = authority.mint(
      {{"alg", "RS256"},
       {"claims", {{"iss", "https://yourteam.cloudflareaccess.com"}, {"aud", json::array({"aud-from-access-app"})},
                   {"exp", now + 300}, {"iat", now}, {"nbf", now}, {"email", "alice@example.com"}, {"sub", "7a1b-alice"}}}});
  // Without a token: refused (RELAY_AUTH_REQUIRED=true).
  {
    RawV4Socket anonymous(relay_.port(), connect_path());
    const auto refused = anonymous.read();
    ASSERT_EQ(refused.kind, RawV4Socket::Message::Kind::closed) << refused.describe() << log();
    EXPECT_EQ(refused.close_code, 4401);
  }
  const std::string sid = session_with_a_reconnect({{"Cf-Access-Jwt-Assertion", token}});
  ASSERT_FALSE(sid.empty());
  const auto starts = audit_lines(relay_, "session.start");
  ASSERT_EQ(starts.size(), 1u) << log();
  EXPECT_EQ(starts.front()["identity"],
            (Event{{"provider", "cloudflare-access"}, {"sub", "7a1b-alice"}, {"email", "alice@example.com"}}))
      << starts.front().dump();
  const auto closes = audit_lines(relay_, "session.close");
  ASSERT_EQ(closes.size(), 1u) << log();
  EXPECT_EQ(closes.front()["identity"]["email"], "alice@example.com");
  EXPECT_EQ(closes.front()["reconnect_count"], 1);
  EXPECT_EQ(relay_.log_text().find(token.substr(token.size() - 20)), std::string::npos) << "no token in the log";
}

}  // namespace
}  // namespace sshrelay::itest
