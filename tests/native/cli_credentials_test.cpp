// The CLI's credentials: JWT expiry without signature checks, --header/--cookie parsing, how a token
// travels, and TokenSource (file re-read each time; command run through /bin/sh, cached until its JWT
// expires or the relay refuses it, bounded in time, stdin never the SSH stream).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "core/common/base64.hpp"
#include "native/cli/auth_headers.hpp"
#include "native/cli/shell_command.hpp"
#include "native/cli/token_source.hpp"

namespace sshrelay::cli {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string jwt(const std::string& payload_json) {
  return base64url_encode(std::string_view(R"({"alg":"RS256","typ":"JWT"})")) + "." +
         base64url_encode(std::string_view(payload_json)) + ".c2lnbmF0dXJl";
}

TEST(CliAuthHeaders, HeaderFlag) {
  auto h = parse_header_flag("X-Team:  blue ");
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(h->first, "X-Team");
  EXPECT_EQ(h->second, "blue");
  h = parse_header_flag("Authorization: Bearer a:b");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->second, "Bearer a:b");
  h = parse_header_flag("X-Empty:");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->second, "");
  for (const char* bad : {"no colon", ": value", "bad name: v", "X: a\nInjected: 1", "X: \x7f"}) {
    auto r = parse_header_flag(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_NE(r.error().message.find("--header"), std::string::npos) << r.error().message;
    }
  }
}

TEST(CliAuthHeaders, Cookies) {
  auto c = cookie_header({"CF_Authorization=abc.def", "b=2"});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->first, "Cookie");
  EXPECT_EQ(c->second, "CF_Authorization=abc.def; b=2");
  for (const char* bad : {"novalue", "=x", "a=b;c=d", "a=b\r\n"}) {
    auto r = cookie_header({bad});
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_NE(r.error().message.find("--cookie"), std::string::npos);
    }
  }
}

TEST(CliAuthHeaders, TokenTravelsAsBearerOnlyInAuthorization) {
  EXPECT_EQ(token_header("Authorization", "t"), (Header{"Authorization", "Bearer t"}));
  EXPECT_EQ(token_header("authorization", "t"), (Header{"authorization", "Bearer t"}));
  EXPECT_EQ(token_header("cf-access-token", "t"), (Header{"cf-access-token", "t"}));
  EXPECT_EQ(token_header("x-goog-iap-jwt-assertion", "t"), (Header{"x-goog-iap-jwt-assertion", "t"}));
}

// ------------------------------------------------------------------------------------- TokenSource

struct Got {
  std::string error;
  std::string token;
};

// async_get, waited for (bounded).
Got get(TokenSource& source, bool refresh = false) {
  auto promise = std::make_shared<std::promise<Got>>();
  auto future = promise->get_future();
  source.async_get(refresh, [promise](std::string error, std::string token) {
    promise->set_value(Got{std::move(error), std::move(token)});
  });
  if (future.wait_for(120s) != std::future_status::ready) {
    ADD_FAILURE() << "no answer within 120 s";
    return {"timeout", {}};
  }
  return future.get();
}

class CliTokenSource : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sshrelay-token-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& content) { std::ofstream(path(name)) << content; }

  fs::path dir_;
};

TEST_F(CliTokenSource, FileIsReadEveryTime) {
  write("token", "  first\n");
  TokenSource source({path("token"), {}, 60s, 30s, {}, {}});
  EXPECT_EQ(get(source).token, "first");
  write("token", "second\n");
  EXPECT_EQ(get(source).token, "second");
  write("token", "\n");
  EXPECT_NE(get(source).error.find("empty token"), std::string::npos);
  write("token", "two words");
  EXPECT_NE(get(source).error.find("more than one token"), std::string::npos);
  fs::remove(path("token"));
  const auto missing = get(source);
  EXPECT_NE(missing.error.find("--token-file"), std::string::npos) << missing.error;
  EXPECT_NE(missing.error.find("cannot read"), std::string::npos) << missing.error;
}

TEST_F(CliTokenSource, CommandTokenIsCachedUntilItsJwtExpires) {
  std::int64_t now = 1000;
  const auto token = jwt(R"({"exp":1100})");
  TokenSource::Config config;
  config.command = "echo run >> '" + path("runs") + "'; printf '  %s\\n' '" + token + "'";
  config.expiry_margin = 30s;
  config.unix_now = [&now] { return now; };
  TokenSource source(config);

  auto got = get(source);
  EXPECT_EQ(got.error, "");
  EXPECT_EQ(got.token, token);
  EXPECT_EQ(source.command_runs(), 1u);
  now = 1060;  // exp - now = 40 s > margin: still good
  EXPECT_EQ(get(source).token, token);
  EXPECT_EQ(source.command_runs(), 1u);
  now = 1075;  // within the 30 s margin: re-run
  EXPECT_EQ(get(source).token, token);
  EXPECT_EQ(source.command_runs(), 2u);
  now = 1200;  // expired
  get(source);
  EXPECT_EQ(source.command_runs(), 3u);
}

TEST_F(CliTokenSource, OpaqueTokenIsKeptUntilRefused) {
  TokenSource source({{}, "echo x >> '" + path("runs") + "'; echo opaque", 60s, 30s, {}, {}});
  EXPECT_EQ(get(source).token, "opaque");
  EXPECT_EQ(get(source).token, "opaque");
  EXPECT_EQ(source.command_runs(), 1u);
  EXPECT_EQ(get(source, /*refresh=*/true).token, "opaque");
  EXPECT_EQ(source.command_runs(), 2u);
}

TEST_F(CliTokenSource, FailuresSayWhy) {
  {
    TokenSource source({{}, "echo oops >&2; exit 7", 60s, 30s, {}, {}});
    const auto got = get(source);
    EXPECT_NE(got.error.find("--token-cmd 'echo oops >&2; exit 7'"), std::string::npos) << got.error;
    EXPECT_NE(got.error.find("exited with status 7"), std::string::npos) << got.error;
  }
  {
    TokenSource source({{}, "true", 60s, 30s, {}, {}});
    EXPECT_NE(get(source).error.find("empty token"), std::string::npos);
  }
  {
    TokenSource source({{}, "kill -9 $$", 60s, 30s, {}, {}});
    EXPECT_NE(get(source).error.find("killed by signal 9"), std::string::npos);
  }
}

TEST_F(CliTokenSource, SlowCommandIsKilledAtItsTimeout) {
  TokenSource source({{}, "sleep 90; echo late", 1s, 30s, {}, {}});
  const auto began = std::chrono::steady_clock::now();
  const auto got = get(source);
  const auto took = std::chrono::steady_clock::now() - began;
  EXPECT_NE(got.error.find("did not finish within 1 s"), std::string::npos) << got.error;
  EXPECT_LT(took, 45s) << "killed at its 1 s timeout, not waited for (90 s)";
}

TEST_F(CliTokenSource, CommandReadsNothingFromStdin) {
  // In ProxyCommand mode our stdin is the SSH stream: the command gets /dev/null, so `cat` ends at once.
  TokenSource source({{}, "cat; echo after-cat", 60s, 30s, {}, {}});
  const auto got = get(source);
  EXPECT_EQ(got.error, "");
  EXPECT_EQ(got.token, "after-cat");
}

TEST_F(CliTokenSource, BackgroundChildHoldingStdoutDoesNotHang) {
  TokenSource source({{}, "(sleep 90 2>/dev/null &); echo token-now", 120s, 30s, {}, {}});
  const auto began = std::chrono::steady_clock::now();
  EXPECT_EQ(get(source).token, "token-now");
  EXPECT_LT(std::chrono::steady_clock::now() - began, 45s) << "waited for the background child (90 s)";
}

TEST_F(CliTokenSource, ConcurrentRequestsShareOneRun) {
  TokenSource source({{}, "sleep 0.3; echo shared", 60s, 30s, {}, {}});
  std::vector<std::future<Got>> results;
  for (int i = 0; i < 4; ++i) results.push_back(std::async(std::launch::async, [&] { return get(source); }));
  for (auto& r : results) EXPECT_EQ(r.get().token, "shared");
  EXPECT_EQ(source.command_runs(), 1u);
}

TEST_F(CliTokenSource, ShutdownKillsARunningCommandPromptly) {
  auto source = std::make_unique<TokenSource>(
      TokenSource::Config{{}, ": > '" + path("started") + "'; exec sleep 90", 120s, 30s, {}, {}});
  std::atomic<bool> called{false};
  source->async_get(false, [&](std::string, std::string) { called = true; });
  // The command is running (not merely about to be started, which shutdown would simply prevent).
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!fs::exists(path("started"))) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the command never started";
    std::this_thread::sleep_for(10ms);
  }
  const auto began = std::chrono::steady_clock::now();
  source.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - began, 45s) << "waited for the command (90 s) instead of killing it";
  EXPECT_FALSE(called.load()) << "requests pending at shutdown are dropped, not answered";
}

// A producer (the saved login of `sshrelay auth`) is asked again only when its token is no longer fresh
// or was refused, and hears which; its error reaches the caller word for word.
TEST_F(CliTokenSource, AProducerIsAskedAgainOnlyWhenRefusedOrExpired) {
  std::vector<bool> asked;
  std::mutex mutex;
  TokenSource::Config config;
  config.produce = [&](bool refresh) -> Result<std::string> {
    std::lock_guard lock(mutex);
    asked.push_back(refresh);
    return asked.size() == 1 ? std::string("a.") + "eyJleHAiOjQxMDI0NDQ4MDB9" + ".s" : std::string("second");
  };
  TokenSource source(std::move(config));
  EXPECT_EQ(get(source).token, "a.eyJleHAiOjQxMDI0NDQ4MDB9.s");
  EXPECT_EQ(get(source).token, "a.eyJleHAiOjQxMDI0NDQ4MDB9.s") << "a JWT valid until 2100 is kept";
  EXPECT_EQ(get(source, true).token, "second");
  std::lock_guard lock(mutex);
  EXPECT_EQ(asked, (std::vector<bool>{false, true}));
}

TEST_F(CliTokenSource, AProducersErrorIsPassedOn) {
  TokenSource::Config config;
  config.produce = [](bool) -> Result<std::string> { return local_error("the saved login has expired; run 'sshrelay auth'"); };
  TokenSource source(std::move(config));
  const auto got = get(source);
  EXPECT_EQ(got.error, "the saved login has expired; run 'sshrelay auth'");
  EXPECT_TRUE(got.token.empty());
}

}  // namespace
}  // namespace sshrelay::cli
