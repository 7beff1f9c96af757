// How `sshrelay proxy` ends, run on its own (stdin /dev/null, stdout to a file) or under ssh: every
// ending is bounded in time, gives its documented exit code and says why in one line on stderr.
//   clean close 1000 -> 0 (reason on stderr), relay restart 1012 -> 4, session expired (4404 on
//   reconnect) -> 4, reconnect budget spent -> 3, relay unreachable -> 5, target refused -> 1,
//   SIGHUP -> clean close and 0, bad flags -> 2.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <vector>

#include "tests/integration/harness.hpp"
#include "tests/support/cutting_proxy.hpp"
#include "tests/support/files.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/process.hpp"
#include "tests/support/relay_daemon.hpp"
#include "tests/support/sshd_fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::itest {
namespace {

using testing::CuttingProxy;
using testing::RelayDaemon;
using testing::TempDir;

// Every reconnect attempt through a CuttingProxy with this plan is reset after its first byte.
std::vector<std::uint64_t> block_everything() {
  std::vector<std::uint64_t> plan;
  for (std::uint64_t i = 1; i <= 5000; ++i) plan.push_back(i);
  return plan;
}

// The CLI as a subprocess: stdin /dev/null (local EOF does not end a v4 session), stdout and stderr in
// files.
class Cli {
 public:
  Cli(const TempDir& dir, std::vector<std::string> args) : out_(dir.file("cli.out")), err_(dir.file("cli.err")) {
    args.insert(args.begin(), SSHRELAY_CLI_PATH);
    testing::ProcessIo io;
    io.stdout_path = out_;
    io.stderr_path = err_;
    process_.emplace(std::move(args), io);
  }
  testing::Process& process() { return *process_; }
  std::optional<int> wait_for(std::chrono::milliseconds timeout) { return process_->wait_for(timeout); }
  std::string out() const { return testing::read_file(out_); }
  std::string err() const { return testing::read_file(err_); }
  std::string describe() const { return "\n--- sshrelay " + process_->command_line() + " stderr:\n" + testing::file_tail(err_); }

 private:
  std::string out_;
  std::string err_;
  std::optional<testing::Process> process_;
};

std::vector<std::string> proxy_args(std::uint16_t relay_port, std::uint16_t target_port,
                                    std::vector<std::string> flags = {}) {
  std::vector<std::string> args = {"proxy", "--relay", "ws://127.0.0.1:" + std::to_string(relay_port)};
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), {"127.0.0.1", std::to_string(target_port)});
  return args;
}

class CliEndingsTest : public ::testing::Test {
 protected:
  void start_relay(std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), "--unsafe-allow-loopback");
    relay_.start(relayd_path(), extra);
  }
  bool relay_logged(const std::string& needle, std::chrono::milliseconds timeout = 60s) {
    return wait_until([&] { return relay_.log_text().find(needle) != std::string::npos; }, timeout);
  }
  std::string log() const { return "\n--- relayd log:\n" + testing::file_tail(relay_.log_path(), 6000); }
  // The session is established from the CLI's point of view (run it with -v).
  static bool connected(const Cli& cli) {
    // "...] CONNECT_SUCCESS", not "waiting for CONNECT_SUCCESS".
    return wait_until([&] { return cli.err().find("] CONNECT_SUCCESS") != std::string::npos; }, 60s);
  }

  TempDir dir_{"sshrelay-cli-endings"};
  RelayDaemon relay_;
  TcpTarget echo_{TcpTarget::echo()};
};

TEST_F(CliEndingsTest, CleanCloseExitsZeroWithTheReasonOnStderr) {
  start_relay();
  const auto bytes = std::make_shared<const std::vector<std::uint8_t>>(deterministic_bytes(1 << 20, 7));
  TcpTarget push(TcpTarget::push(bytes));
  Cli cli(dir_, proxy_args(relay_.port(), push.port()));
  const auto code = cli.wait_for(120s);
  ASSERT_TRUE(code) << cli.describe() << log();
  EXPECT_EQ(*code, 0) << cli.describe() << log();
  const auto out = cli.out();
  EXPECT_TRUE(out == std::string(bytes->begin(), bytes->end()))
      << "stdout has " << out.size() << " bytes, not the target's " << bytes->size();
  EXPECT_NE(cli.err().find("the relay closed the session (close 1000 \"target closed the connection\")"), std::string::npos)
      << cli.describe();
}

TEST_F(CliEndingsTest, QuietPrintsNothingOnSuccess) {
  start_relay();
  const auto bytes = std::make_shared<const std::vector<std::uint8_t>>(deterministic_bytes(1000, 8));
  TcpTarget push(TcpTarget::push(bytes));
  Cli cli(dir_, proxy_args(relay_.port(), push.port(), {"-q"}));
  const auto code = cli.wait_for(120s);
  ASSERT_TRUE(code) << cli.describe();
  EXPECT_EQ(*code, 0) << cli.describe();
  EXPECT_EQ(cli.err(), "");
  EXPECT_EQ(cli.out().size(), bytes->size());
}

TEST_F(CliEndingsTest, RelayRestartExitsFourPromptly) {
  start_relay();
  Cli cli(dir_, proxy_args(relay_.port(), echo_.port(), {"-v"}));
  ASSERT_TRUE(connected(cli)) << cli.describe() << log();
  relay_.stop();  // SIGTERM: every session is closed with 1012
  // Promptly: well within the reconnect budget (120 s by default) it would otherwise spend.
  const auto code = cli.wait_for(60s);
  ASSERT_TRUE(code) << "sshrelay did not exit after the relay restarted" << cli.describe() << log();
  EXPECT_EQ(*code, 4) << cli.describe();
  EXPECT_NE(cli.err().find("the relay is restarting (close 1012"), std::string::npos) << cli.describe();
  EXPECT_EQ(cli.out(), "");
}

// Under ssh: the restart ends ssh promptly, and the user reads why.
TEST_F(CliEndingsTest, RelayRestartEndsSshPromptlyWithAMessage) {
  testing::SshdFixture sshd;
  sshd.start();
  start_relay();
  const std::vector<std::string> cli = {SSHRELAY_CLI_PATH, "proxy", "--relay", "ws://127.0.0.1:" + std::to_string(relay_.port()),
                                        "%h", "%p"};
  testing::ProcessIo io;
  io.stdout_path = dir_.file("ssh.out");
  io.stderr_path = dir_.file("ssh.err");
  // A remote command that never ends by itself (and dies of SIGPIPE once its connection is gone): only
  // the relay's restart can end this ssh, however long the wait below.
  testing::Process ssh(sshd.ssh_argv(sshd.port(), {"-o", "ProxyCommand=" + testing::format_command_line(cli), "-o", "LogLevel=ERROR"},
                                     "echo started; while :; do sleep 1; echo tick; done"),
                       io);
  ASSERT_TRUE(wait_until([&] { return testing::read_file(io.stdout_path).find("started") != std::string::npos; }, 60s))
      << testing::file_tail(io.stderr_path) << log();
  relay_.stop();
  const auto code = ssh.wait_for(60s);
  ASSERT_TRUE(code) << "ssh still running 60 s after the relay restarted\n" << testing::file_tail(io.stderr_path);
  EXPECT_NE(*code, 0);
  EXPECT_TRUE(wait_until(
      [&] { return testing::read_file(io.stderr_path).find("sshrelay: the relay is restarting") != std::string::npos; }, 30s))
      << testing::file_tail(io.stderr_path);
}

// The relay's grace period (1 s) passes while every reconnect attempt is cut; once they get through,
// the relay no longer knows the session (4404) and the CLI says so.
TEST_F(CliEndingsTest, ExpiredSessionExitsFour) {
  start_relay({"--grace-seconds", "1"});
  CuttingProxy proxy("127.0.0.1", relay_.port());
  Cli cli(dir_, proxy_args(proxy.port(), echo_.port(), {"-v"}));
  ASSERT_TRUE(connected(cli)) << cli.describe() << log();
  proxy.set_cut_plan(block_everything());
  proxy.cut_all();
  ASSERT_TRUE(relay_logged("grace period expired")) << cli.describe() << log();
  EXPECT_TRUE(cli.process().running()) << "exited before the reconnect was allowed" << cli.describe();
  proxy.set_cut_plan({});
  const auto code = cli.wait_for(60s);
  ASSERT_TRUE(code) << "sshrelay did not exit after its session expired" << cli.describe() << log();
  EXPECT_EQ(*code, 4) << cli.describe() << log();
  const auto err = cli.err();
  EXPECT_NE(err.find("the relay no longer has the session (it ended, or waited too long for a reconnect) (close 4404"), std::string::npos) << cli.describe();
  EXPECT_NE(err.find("reconnect attempt failed"), std::string::npos) << "the blocked attempts are reported with -v"
                                                                      << cli.describe();
}

TEST_F(CliEndingsTest, ReconnectBudgetSpentExitsThree) {
  start_relay();
  CuttingProxy proxy("127.0.0.1", relay_.port());
  Cli cli(dir_, proxy_args(proxy.port(), echo_.port(), {"--reconnect-timeout", "2", "-v"}));
  ASSERT_TRUE(connected(cli)) << cli.describe() << log();
  proxy.set_cut_plan(block_everything());
  const auto began = std::chrono::steady_clock::now();
  proxy.cut_all();
  const auto code = cli.wait_for(60s);
  const auto took = std::chrono::steady_clock::now() - began;
  ASSERT_TRUE(code) << "sshrelay kept trying past --reconnect-timeout" << cli.describe();
  EXPECT_EQ(*code, 3) << cli.describe();
  EXPECT_GE(took, 1900ms) << "gave up before the budget was spent";
  EXPECT_LT(took, 15s) << "kept trying long past its 2 s budget";
  EXPECT_NE(cli.err().find("could not resume the session within --reconnect-timeout"), std::string::npos) << cli.describe();
}

TEST_F(CliEndingsTest, UnreachableRelayExitsFive) {
  const auto closed_port = testing::pick_free_loopback_port();
  Cli cli(dir_, proxy_args(closed_port, 22));
  const auto code = cli.wait_for(60s);
  ASSERT_TRUE(code) << cli.describe();
  EXPECT_EQ(*code, 5) << cli.describe();
  EXPECT_NE(cli.err().find("could not connect to the relay"), std::string::npos) << cli.describe();
}

TEST_F(CliEndingsTest, TargetTheRelayCannotReachExitsOne) {
  start_relay();
  const auto closed_port = testing::pick_free_loopback_port();
  Cli cli(dir_, proxy_args(relay_.port(), closed_port));
  const auto code = cli.wait_for(60s);
  ASSERT_TRUE(code) << cli.describe() << log();
  EXPECT_EQ(*code, 1) << cli.describe() << log();
  EXPECT_NE(cli.err().find("4502"), std::string::npos) << cli.describe() << log();
}

// ssh sends its ProxyCommand SIGHUP when it exits: the session is ended at once (close 4000, the
// client's explicit end), not left to the relay's grace period.
TEST_F(CliEndingsTest, SighupClosesTheSessionCleanly) {
  start_relay();
  Cli cli(dir_, proxy_args(relay_.port(), echo_.port(), {"-v"}));
  ASSERT_TRUE(connected(cli)) << cli.describe() << log();
  cli.process().send_signal(SIGHUP);
  const auto code = cli.wait_for(60s);
  ASSERT_TRUE(code) << cli.describe();
  EXPECT_EQ(*code, 0) << cli.describe();
  EXPECT_TRUE(relay_logged("\"client ended the session\"")) << log();
  EXPECT_EQ(relay_.log_text().find("detached"), std::string::npos) << log();
}

TEST(CliCommandLine, UsageErrorsExitTwoAndNameTheFlag) {
  TempDir dir("sshrelay-cli-usage");
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{"proxy", "--relay", "ws://127.0.0.1:1", "--reconnect-timeout", "999999", "h", "22"}, "--reconnect-timeout"},
      {{"proxy", "--relay", "ws://127.0.0.1:1", "--header", "no-colon", "h", "22"}, "--header"},
      {{"proxy", "--relay", "ftp://x", "h", "22"}, "--relay"},
      {{"proxy", "--relay", "ws://127.0.0.1:1", "--no-such-flag", "h", "22"}, "--no-such-flag"},
      {{"proxy", "--relay", "ws://127.0.0.1:1", "h", "0"}, "PORT"},
      {{"proxy", "--relay", "wss://127.0.0.1:1", "--ca-file", dir.file("missing.pem"), "h", "22"}, "--ca-file"},
      {{"proxy", "--relay", "ws://127.0.0.1:1", "--token-file", "a", "--token-cmd", "b", "h", "22"}, "--token-cmd"},
      {{"bogus"}, "bogus"},
      {{}, "Usage"},
  };
  for (const auto& c : cases) {
    const auto code = testing::run([&] {
      std::vector<std::string> argv = {SSHRELAY_CLI_PATH};
      argv.insert(argv.end(), c.args.begin(), c.args.end());
      return argv;
    }(), "", dir.file("out"), dir.file("err"), 60s);
    EXPECT_EQ(code, 2) << testing::format_command_line(c.args) << "\n" << testing::file_tail(dir.file("err"));
    EXPECT_NE(testing::read_file(dir.file("err")).find(c.expected), std::string::npos)
        << testing::format_command_line(c.args) << "\n" << testing::file_tail(dir.file("err"));
    EXPECT_EQ(testing::read_file(dir.file("out")), "") << testing::format_command_line(c.args);
  }
}

TEST(CliCommandLine, HelpDocumentsUsageAndExitCodes) {
  TempDir dir("sshrelay-cli-help");
  ASSERT_EQ(testing::run({SSHRELAY_CLI_PATH, "--help"}, "", dir.file("out"), dir.file("err"), 60s), 0);
  EXPECT_NE(testing::read_file(dir.file("out")).find("sshrelay proxy"), std::string::npos);
  ASSERT_EQ(testing::run({SSHRELAY_CLI_PATH, "proxy", "--help"}, "", dir.file("out"), dir.file("err"), 60s), 0);
  const auto help = testing::read_file(dir.file("out"));
  for (const char* needle : {"Exit codes:", "--relay", "--header", "--cookie", "--token-file", "--token-cmd", "--token-header",
                             "--ca-file", "--insecure", "--listen", "--reconnect-timeout", "--verbose", "ProxyCommand"}) {
    EXPECT_NE(help.find(needle), std::string::npos) << needle;
  }
}

}  // namespace
}  // namespace sshrelay::itest
