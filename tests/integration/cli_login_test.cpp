// `sshrelay auth` against a real OIDC provider (the token authority: node + npm jose, HTTPS) and the real
// sshrelayd trusting it: the device login (the test approves as the person at the browser would), the
// saved file and its permissions, `create` using the saved login, renewal with the refresh token, a
// denied login, logout, a token command saved instead, a relay without a login, and a saved login kept
// from a relay it was not made for.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "native/client/relay_http.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/token_authority.hpp"
#include "tests/support/files.hpp"
#include "tests/support/process.hpp"
#include "tests/support/relay_daemon.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::itest {
namespace {

using nlohmann::json;
using testing::RelayDaemon;

constexpr const char* kAudience = "sshrelay-login-test";
constexpr const char* kClientId = "sshrelay-cli";

class CliLoginTest : public ::testing::Test {
 protected:
  void start_relay() {
    const auto policy = dir_.file("policy.json");
    testing::write_file(policy, R"({"rendezvous_admins":["alice@example.com"]})");
    relay_.start(relayd_path(), {"--identity-provider", "oidc", "--identity-issuer", authority_.origin(),
                                 "--identity-audience", kAudience, "--identity-ca-file", authority_.ca_file(),
                                 "--identity-client-id", kClientId, "--policy-file", policy});
  }

  std::string relay() const { return "ws://127.0.0.1:" + std::to_string(relay_.port()); }
  std::string credentials() const { return dir_.file("login/credentials.json"); }
  std::string text(const std::string& name) const { return testing::read_file(dir_.file(name)); }

  // Starts `sshrelay auth`, waits for the code it prints and returns it (and the running process).
  std::pair<std::string, std::unique_ptr<testing::Process>> start_login(const std::string& log) {
    auto process = std::make_unique<testing::Process>(
        std::vector<std::string>{SSHRELAY_CLI_PATH, "auth", "--relay", relay(), "--credentials", credentials(),
                                 "--ca-file", authority_.ca_file()},
        testing::ProcessIo{"", dir_.file(log + ".out"), dir_.file(log + ".err"), {}});
    std::smatch match;
    const std::regex code(R"(enter the code ([A-Z]{4}-[A-Z]{4}))");
    std::string err;
    const bool shown = wait_until([&] {
      err = text(log + ".err");
      return std::regex_search(err, match, code) || !process->running();
    }, 60s);
    EXPECT_TRUE(shown && !match.empty()) << err;
    return {match.empty() ? std::string() : match[1].str(), std::move(process)};
  }

  json approve(const std::string& user_code, int expires_in = 3600) {
    return authority_.call("POST", "/device/approve",
                           {{"user_code", user_code},
                            {"expires_in", expires_in},
                            {"claims", {{"sub", "alice-1"}, {"email", "alice@example.com"}, {"aud", kAudience}}}});
  }

  int create(const std::string& log, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {SSHRELAY_CLI_PATH, "create", "--relay", relay(), "--credentials", credentials(),
                                     "--ca-file", authority_.ca_file()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return testing::run(argv, "", dir_.file(log + ".out"), dir_.file(log + ".err"), 60s);
  }

  // A token for alice as the relay wants it, minted directly (not through a login).
  std::string alice_token() {
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    return authority_.mint({{"alg", "RS256"},
                            {"claims", {{"iss", authority_.origin()}, {"aud", kAudience}, {"exp", now + 600}, {"iat", now},
                                        {"email", "alice@example.com"}}}});
  }

  std::string diagnostics() const {
    return "\n--- relayd log:\n" + testing::file_tail(relay_.log_path(), 4000) + "\n--- authority:\n" +
           authority_.log_tail();
  }

  testing::TempDir dir_{"sshrelay-cli-login"};
  TokenAuthority authority_;
  RelayDaemon relay_;
};

TEST_F(CliLoginTest, ADeviceLoginIsSavedPrivatelyAndCreateUsesIt) {
  start_relay();
  // The relay says how to log in, copying the provider's endpoints once it has read its discovery.
  client::TransportOptions transport;
  transport.relay = *client::parse_relay_url(relay());
  json config;
  ASSERT_TRUE(wait_until([&] {
    auto reply = client::relay_http_request(transport, boost::beast::http::verb::get, "/.well-known/swsrs-config", "", {});
    if (!reply || reply->status != 200) return false;
    config = json::parse(reply->body);
    return config.contains("device_authorization_endpoint");
  }, 30s)) << config.dump() << diagnostics();
  EXPECT_EQ(config["issuer"], authority_.origin());
  EXPECT_EQ(config["client_id_hint"], kClientId);
  EXPECT_EQ(config["audience"], kAudience);
  EXPECT_EQ(config["token_endpoint"], authority_.origin() + "/token");

  // Without a valid credential, the admin API refuses.
  EXPECT_EQ(create("before", {"--oidc-token", "not-a-token"}), 1);
  EXPECT_NE(text("before.err").find("HTTP 401"), std::string::npos) << text("before.err");

  auto [code, login] = start_login("auth");
  ASSERT_FALSE(code.empty());
  EXPECT_NE(text("auth.err").find("open " + authority_.origin() + "/device"), std::string::npos) << text("auth.err");
  const auto requests = authority_.call("GET", "/device/requests");
  ASSERT_EQ(requests.size(), 1u) << requests.dump();
  EXPECT_EQ(requests[0]["client_id"], kClientId);
  EXPECT_EQ(requests[0]["scope"], "swsrs:session:create swsrs:session:read swsrs:session:delete openid offline_access");
  EXPECT_FALSE(std::filesystem::exists(credentials())) << "nothing is saved before the approval";
  approve(code);
  ASSERT_EQ(login->wait_for(60s), 0) << text("auth.err") << diagnostics();
  EXPECT_NE(text("auth.err").find("logged in to " + authority_.origin() + " as alice@example.com"), std::string::npos)
      << text("auth.err");

  struct stat file{}, folder{};
  ASSERT_EQ(::stat(credentials().c_str(), &file), 0);
  ASSERT_EQ(::stat(dir_.file("login").c_str(), &folder), 0);
  EXPECT_EQ(file.st_mode & 0777, 0600u);
  EXPECT_EQ(folder.st_mode & 0777, 0700u);
  const auto saved = json::parse(testing::read_file(credentials()));
  EXPECT_EQ(saved["relay"], relay());
  EXPECT_EQ(saved["token_endpoint"], authority_.origin() + "/token");
  EXPECT_FALSE(saved.value("refresh_token", "").empty());

  ASSERT_EQ(create("after"), 0) << text("after.err") << diagnostics();
  EXPECT_TRUE(json::parse(text("after.out")).contains("initiator_token")) << text("after.out");
  EXPECT_EQ(authority_.stats()["refreshes"], 0) << "a fresh token is used as it is";

  // Logout forgets it; a second logout says there was nothing.
  std::vector<std::string> logout = {SSHRELAY_CLI_PATH, "auth", "--logout", "--credentials", credentials()};
  ASSERT_EQ(testing::run(logout, "", dir_.file("logout.out"), dir_.file("logout.err"), 30s), 0);
  EXPECT_NE(text("logout.err").find("logged out"), std::string::npos) << text("logout.err");
  EXPECT_FALSE(std::filesystem::exists(credentials()));
  ASSERT_EQ(testing::run(logout, "", dir_.file("logout.out"), dir_.file("logout2.err"), 30s), 0);
  EXPECT_NE(text("logout2.err").find("no saved login"), std::string::npos) << text("logout2.err");
}

TEST_F(CliLoginTest, AnExpiredLoginIsRenewedWithItsRefreshTokenAndWrittenBack) {
  start_relay();
  auto [code, login] = start_login("auth");
  ASSERT_FALSE(code.empty());
  approve(code, 20);  // inside the 30 s renewal margin: stale at once
  ASSERT_EQ(login->wait_for(60s), 0) << text("auth.err");
  const auto before = json::parse(testing::read_file(credentials()));
  ASSERT_EQ(create("create", {"-v"}), 0) << text("create.err") << diagnostics();
  EXPECT_EQ(authority_.stats()["refreshes"], 1);
  const auto after = json::parse(testing::read_file(credentials()));
  EXPECT_NE(after["access_token"], before["access_token"]);
  EXPECT_NE(after["refresh_token"], before["refresh_token"]) << "the provider rotated it";

  // A refresh token the provider no longer honours: the command says to log in again.
  auto stale = after;
  stale["refresh_token"] = "revoked";
  testing::write_file(credentials(), stale.dump());
  EXPECT_NE(create("again"), 0);
  EXPECT_NE(text("again.err").find("run 'sshrelay auth'"), std::string::npos) << text("again.err");
}

TEST_F(CliLoginTest, ADeniedLoginSavesNothing) {
  start_relay();
  auto [code, login] = start_login("auth");
  ASSERT_FALSE(code.empty());
  authority_.call("POST", "/device/deny", {{"user_code", code}});
  EXPECT_EQ(login->wait_for(60s), 6) << text("auth.err");
  EXPECT_NE(text("auth.err").find("denied"), std::string::npos) << text("auth.err");
  EXPECT_FALSE(std::filesystem::exists(credentials()));
}

TEST_F(CliLoginTest, ATokenCommandIsSavedAndRunByTheOtherCommands) {
  start_relay();
  const auto token = alice_token();
  const auto token_file = dir_.file("token.txt");
  testing::write_file(token_file, token + "\n");
  const std::string command = "cat " + token_file;
  ASSERT_EQ(testing::run({SSHRELAY_CLI_PATH, "auth", "--relay", relay(), "--credentials", credentials(), "--token-cmd", command},
                         "", dir_.file("auth.out"), dir_.file("auth.err"), 30s),
            0)
      << text("auth.err");
  const auto saved = json::parse(testing::read_file(credentials()));
  EXPECT_EQ(saved["token_command"], command);
  EXPECT_FALSE(saved.contains("access_token")) << "the command's token is not stored";
  ASSERT_EQ(create("create"), 0) << text("create.err") << diagnostics();

  // A command that fails is refused at once, and the saved login stays as it was.
  EXPECT_EQ(testing::run({SSHRELAY_CLI_PATH, "auth", "--relay", relay(), "--credentials", credentials(), "--token-cmd", "false"},
                         "", dir_.file("bad.out"), dir_.file("bad.err"), 30s),
            6);
  EXPECT_EQ(json::parse(testing::read_file(credentials()))["token_command"], command);
}

TEST_F(CliLoginTest, ASavedLoginIsNotSentToAnotherRelay) {
  start_relay();
  const auto token = alice_token();
  std::filesystem::create_directories(dir_.file("login"));
  testing::write_file(credentials(), json({{"access_token", token}, {"relay", "ws://relay.example.com:80"}}).dump());
  EXPECT_EQ(create("create"), 1);
  EXPECT_NE(text("create.err").find("is for ws://relay.example.com:80, not " + relay() + ": not sent"), std::string::npos)
      << text("create.err");
  EXPECT_NE(text("create.err").find("HTTP 401"), std::string::npos) << text("create.err");
}

TEST_F(CliLoginTest, ARelayWithoutAnOidcLoginSaysSo) {
  relay_.start(relayd_path(), {"--dev"});
  ASSERT_EQ(testing::run({SSHRELAY_CLI_PATH, "auth", "--relay", relay(), "--credentials", credentials()}, "",
                         dir_.file("auth.out"), dir_.file("auth.err"), 30s),
            0)
      << text("auth.err");
  EXPECT_NE(text("auth.err").find("offers no OIDC login"), std::string::npos) << text("auth.err");
  EXPECT_FALSE(std::filesystem::exists(credentials()));
  // And a --credentials file that is not there is a usage error naming it.
  EXPECT_EQ(create("create"), 2);
  EXPECT_NE(text("create.err").find("no saved login there"), std::string::npos) << text("create.err");
}

}  // namespace
}  // namespace sshrelay::itest
