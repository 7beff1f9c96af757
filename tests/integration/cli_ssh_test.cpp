// The `sshrelay` CLI as OpenSSH uses it: real `ssh -o ProxyCommand='sshrelay proxy ... %h %p'` to a
// throwaway sshd through the real sshrelayd. Commands, 64 MiB both ways, the same transfers through a
// proxy that resets the CLI's relay connection 24 times at random points (inside frames), and
// `--listen` mode serving two sessions at once.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "tests/integration/harness.hpp"
#include "tests/support/cutting_proxy.hpp"
#include "tests/support/files.hpp"
#include "tests/support/process.hpp"
#include "tests/support/relay_daemon.hpp"
#include "tests/support/sha256.hpp"
#include "tests/support/sshd_fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::itest {
namespace {

using testing::CuttingProxy;
using testing::RelayDaemon;
using testing::SshdFixture;
using testing::TempDir;

constexpr int kSshCuts = 24;

class CliSshTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sshd_.start();
    relay_.start(relayd_path(), {"--unsafe-allow-loopback"});
  }

  // ssh with `sshrelay proxy --relay ws://127.0.0.1:<relay_port> <flags> %h %p` as its ProxyCommand.
  std::vector<std::string> ssh(std::uint16_t relay_port, const std::vector<std::string>& flags,
                               const std::string& command) const {
    std::vector<std::string> words = {SSHRELAY_CLI_PATH, "proxy", "--relay", "ws://127.0.0.1:" + std::to_string(relay_port)};
    words.insert(words.end(), flags.begin(), flags.end());
    words.insert(words.end(), {"%h", "%p"});
    return sshd_.ssh_argv(sshd_.port(), {"-o", "ProxyCommand=" + testing::format_command_line(words), "-o", "LogLevel=ERROR"},
                          command);
  }

  std::string diagnostics() const {
    return "\n--- ssh + sshrelay stderr:\n" + testing::file_tail(err(), 6000) + "\n--- relayd log:\n" +
           testing::file_tail(relay_.log_path(), 6000) + "\n--- sshd log:\n" + testing::file_tail(sshd_.log_path(), 2000);
  }
  std::string out() const { return scratch_.file("ssh.out"); }
  std::string err() const { return scratch_.file("ssh.err"); }

  TempDir scratch_{"sshrelay-cli-itest"};
  SshdFixture sshd_;
  RelayDaemon relay_;
};

TEST_F(CliSshTest, RunsACommand) {
  ASSERT_EQ(testing::run(ssh(relay_.port(), {"-l", sshd_.user()}, "echo hello-through-sshrelay"), "", out(), err(), 120s), 0)
      << diagnostics();
  EXPECT_EQ(testing::read_file(out()), "hello-through-sshrelay\n");
  // The relay saw one session, to sshd, and it ended.
  ASSERT_TRUE(wait_until([&] { return relay_.log_text().find(" closed ") != std::string::npos; }, 60s)) << diagnostics();
  const auto log = relay_.log_text();
  EXPECT_EQ(count_occurrences(log, " connected "), 1u) << diagnostics();
  EXPECT_NE(log.find("-> 127.0.0.1:" + std::to_string(sshd_.port())), std::string::npos) << diagnostics();
}

// 64 MiB up with `cat > f`, then the same file back with `cat f`: identical digests both ways.
TEST_F(CliSshTest, Copies64MiBUpAndBack) {
  const auto source = scratch_.file("source.bin");
  const auto remote = scratch_.file("remote.bin");
  testing::write_random_file(source, kBulkSize, 11);
  const auto source_hash = testing::sha256_file_hex(source);

  ASSERT_EQ(testing::run(ssh(relay_.port(), {}, "cat > '" + remote + "'"), source, out(), err(), 240s), 0) << diagnostics();
  EXPECT_EQ(testing::sha256_file_hex(remote), source_hash) << diagnostics();

  ASSERT_EQ(testing::run(ssh(relay_.port(), {}, "cat '" + remote + "'"), "", out(), err(), 240s), 0) << diagnostics();
  EXPECT_EQ(testing::sha256_file_hex(out()), source_hash) << diagnostics();
}

// The plain /relay endpoint (`--shape relay`, no v4 framing, no resume): the same 64 MiB both ways.
TEST_F(CliSshTest, RelayShapeCopies64MiBUpAndBack) {
  const auto source = scratch_.file("source.bin");
  const auto remote = scratch_.file("remote.bin");
  testing::write_random_file(source, kBulkSize, 13);
  const auto source_hash = testing::sha256_file_hex(source);

  ASSERT_EQ(testing::run(ssh(relay_.port(), {"--shape", "relay"}, "cat > '" + remote + "'"), source, out(), err(), 240s), 0)
      << diagnostics();
  EXPECT_EQ(testing::sha256_file_hex(remote), source_hash) << diagnostics();

  ASSERT_EQ(testing::run(ssh(relay_.port(), {"--shape", "relay"}, "cat '" + remote + "'"), "", out(), err(), 240s), 0)
      << diagnostics();
  EXPECT_EQ(testing::sha256_file_hex(out()), source_hash) << diagnostics();
  // Both sessions ran on /relay.
  ASSERT_TRUE(wait_until([&] { return count_occurrences(relay_.log_text(), " closed ") >= 2; }, 60s)) << diagnostics();
  EXPECT_EQ(count_occurrences(relay_.log_text(), "(relay)"), 2u) << diagnostics();
}

class CliCutsTest : public CliSshTest {
 protected:
  // Runs `command` through the cutting proxy with kSshCuts random cuts, checks that ssh never noticed and
  // that the relay resumed the session once per cut.
  void transfer_with_cuts(const std::string& command, const std::string& stdin_path) {
    const auto seed = std::random_device{}();
    SCOPED_TRACE("cut plan seed " + std::to_string(seed));
    CuttingProxy proxy("127.0.0.1", relay_.port());
    // Bytes through the proxy: the 64 MiB, SSH and v4 framing, ACKs; the plan ends well before that.
    proxy.set_cut_plan(testing::random_cut_plan(seed, 1 * kMiB, 60 * kMiB, kSshCuts));
    ASSERT_EQ(testing::run(ssh(proxy.port(), {"-v", "--stats-interval", "1"}, command), stdin_path, out(), err(), 280s), 0)
        << diagnostics();
    EXPECT_EQ(proxy.cuts(), static_cast<std::uint64_t>(kSshCuts)) << diagnostics();

    // The relay's log has one resume per cut (and the CLI's -v output one RECONNECT_SUCCESS per cut).
    const auto log = relay_.log_text();
    EXPECT_EQ(count_occurrences(log, " resumed from "), proxy.cuts()) << diagnostics();
    const auto cli_log = testing::read_file(err());
    EXPECT_EQ(count_occurrences(cli_log, "RECONNECT_SUCCESS after"), proxy.cuts()) << diagnostics();
    EXPECT_NE(cli_log.find("up "), std::string::npos) << "no -v byte counts" << diagnostics();
    EXPECT_GE(proxy.connections_accepted(), proxy.cuts() + 1);
  }
};

TEST_F(CliCutsTest, UploadSurvives24CutsInsideFrames) {
  const auto source = scratch_.file("source.bin");
  const auto remote = scratch_.file("remote.bin");
  testing::write_random_file(source, kBulkSize, 12);
  transfer_with_cuts("cat > '" + remote + "'", source);
  EXPECT_EQ(testing::sha256_file_hex(remote), testing::sha256_file_hex(source)) << diagnostics();
}

TEST_F(CliCutsTest, DownloadSurvives24CutsInsideFrames) {
  const auto source = scratch_.file("source.bin");
  testing::write_random_file(source, kBulkSize, 13);
  transfer_with_cuts("cat '" + source + "'", "");
  EXPECT_EQ(testing::sha256_file_hex(out()), testing::sha256_file_hex(source)) << diagnostics();
}

// `sshrelay proxy --listen`: two ssh clients at once, each through its own relay session.
TEST_F(CliSshTest, ListenModeServesTwoConcurrentSessions) {
  const auto cli_err = scratch_.file("cli.err");
  testing::ProcessIo cli_io;
  cli_io.stdout_path = scratch_.file("cli.out");
  cli_io.stderr_path = cli_err;
  testing::Process cli({SSHRELAY_CLI_PATH, "proxy", "--relay", "ws://127.0.0.1:" + std::to_string(relay_.port()),
                        "--listen", "127.0.0.1:0", "-v", "127.0.0.1", std::to_string(sshd_.port())},
                       cli_io);
  std::uint16_t port = 0;
  const std::regex listening("listening on 127\\.0\\.0\\.1:([0-9]+)");
  ASSERT_TRUE(wait_until(
      [&] {
        std::smatch m;
        const auto text = testing::read_file(cli_err);
        if (!std::regex_search(text, m, listening)) return false;
        port = static_cast<std::uint16_t>(std::stoul(m[1].str()));
        return true;
      },
      60s))
      << testing::file_tail(cli_err);

  // Each session announces itself on stderr, waits for the other (the GO file), then sends 8 MiB.
  const auto go = scratch_.file("GO");
  std::vector<std::string> sources;
  std::vector<testing::Process> clients;
  for (int i = 0; i < 2; ++i) {
    sources.push_back(scratch_.file("source" + std::to_string(i) + ".bin"));
    testing::write_random_file(sources.back(), 8 * kMiB, 20 + static_cast<std::uint64_t>(i));
    testing::ProcessIo io;
    io.stdout_path = scratch_.file("ssh" + std::to_string(i) + ".out");
    io.stderr_path = scratch_.file("ssh" + std::to_string(i) + ".err");
    clients.emplace_back(sshd_.ssh_argv(port, {"-o", "LogLevel=ERROR"},
                                        "echo ready >&2; while [ ! -e '" + go + "' ]; do sleep 0.1; done; cat '" +
                                            sources.back() + "'"),
                         io);
  }
  for (int i = 0; i < 2; ++i) {
    const auto ssh_err = scratch_.file("ssh" + std::to_string(i) + ".err");
    ASSERT_TRUE(wait_until([&] { return testing::read_file(ssh_err).find("ready") != std::string::npos; }, 90s))
        << "session " << i << " did not start: " << testing::file_tail(ssh_err) << "\n--- sshrelay:\n"
        << testing::file_tail(cli_err) << diagnostics();
  }
  testing::write_file(go, "");
  for (int i = 0; i < 2; ++i) {
    const auto code = clients[i].wait_for(120s);
    ASSERT_TRUE(code.has_value()) << "ssh " << i << " hung\n" << testing::file_tail(cli_err);
    EXPECT_EQ(*code, 0) << testing::file_tail(scratch_.file("ssh" + std::to_string(i) + ".err")) << "\n"
                        << testing::file_tail(cli_err);
    EXPECT_EQ(testing::sha256_file_hex(scratch_.file("ssh" + std::to_string(i) + ".out")),
              testing::sha256_file_hex(sources[i]));
  }
  EXPECT_EQ(count_occurrences(relay_.log_text(), " connected "), 2u) << diagnostics();
  EXPECT_EQ(count_occurrences(testing::read_file(cli_err), "accepted a local connection"), 2u) << testing::file_tail(cli_err);

  // SIGTERM: stop accepting, close what is left, exit 0 promptly.
  EXPECT_EQ(cli.terminate(SIGTERM, 60s), 0) << testing::file_tail(cli_err);
  EXPECT_TRUE(testing::read_file(scratch_.file("cli.out")).empty()) << "listen mode printed on stdout";
}

}  // namespace
}  // namespace sshrelay::itest
