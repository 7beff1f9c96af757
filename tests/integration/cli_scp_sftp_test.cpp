// OpenSSH's file tools through the relay, with `sshrelay proxy ... %h %p` as their ProxyCommand: people
// move files with scp and sftp, not `ssh cat`, and each runs a different protocol over the SSH channel
// (scp: the SFTP subsystem by default since OpenSSH 9, the legacy scp/rcp protocol with -O; sftp: SFTP
// with many requests in flight). Each copies 64 MiB up and back and compares SHA-256 digests of the real
// files; sshd's log shows which protocol actually ran. The last test downloads through a proxy that
// resets the CLI's relay connection mid-transfer: the v4 session resumes and sftp never notices.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <stdexcept>
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

constexpr auto kTransferTimeout = 240s;
constexpr int kSftpCuts = 12;

// What sshd (LogLevel VERBOSE) logs when a session starts the SFTP subsystem, and when it runs a command
// (legacy scp runs `scp -t`/`scp -f` as one).
constexpr const char* kSftpSessionLine = "Starting session: subsystem 'sftp'";
constexpr const char* kCommandSessionLine = "Starting session: command";

class CliFileToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sshd_.start();
    relay_.start(relayd_path(), {"--unsafe-allow-loopback"});
  }

  // `program` (scp or sftp) with ProxyCommand `sshrelay proxy --relay ws://127.0.0.1:<relay_port>
  // <proxy_flags> %h %p`, then `args` (its own flags, then operands). Both tools hand -F, -i and -o on to
  // the ssh they run, so the options are SshdFixture::ssh_argv's, except that the port flag is -P (scp's
  // -p preserves times) and the destination goes into the operands: destination() or remote(path).
  std::vector<std::string> file_tool(const std::string& program, std::uint16_t relay_port,
                                     const std::vector<std::string>& proxy_flags,
                                     const std::vector<std::string>& args) const {
    std::vector<std::string> words = {SSHRELAY_CLI_PATH, "proxy", "--relay", "ws://127.0.0.1:" + std::to_string(relay_port)};
    words.insert(words.end(), proxy_flags.begin(), proxy_flags.end());
    words.insert(words.end(), {"%h", "%p"});
    auto argv = sshd_.ssh_argv(
        sshd_.port(), {"-o", "ProxyCommand=" + testing::format_command_line(words), "-o", "LogLevel=ERROR"}, "");
    const auto port_flag = std::find(argv.begin(), argv.end(), "-p");
    if (port_flag == argv.end() || argv.back() != destination())
      throw std::logic_error("SshdFixture::ssh_argv no longer has -p <port> ... user@host: " +
                             testing::format_command_line(argv));
    argv.front() = program;
    *port_flag = "-P";
    argv.pop_back();
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  std::string destination() const { return sshd_.user() + "@127.0.0.1"; }
  std::string remote(const std::string& path) const { return destination() + ":" + path; }

  // Waits until the relay has logged `sessions` closed sessions, then checks that there were exactly that
  // many, all to sshd: the tool's bytes went through the relay, one session per run.
  void expect_relay_sessions_to_sshd(std::size_t sessions) const {
    ASSERT_TRUE(wait_until([&] { return count_occurrences(relay_.log_text(), " closed ") >= sessions; }, 60s))
        << diagnostics();
    const auto log = relay_.log_text();
    EXPECT_EQ(count_occurrences(log, " connected "), sessions) << diagnostics();
    EXPECT_EQ(count_occurrences(log, "-> 127.0.0.1:" + std::to_string(sshd_.port())), sessions) << diagnostics();
  }

  std::string diagnostics() const {
    return "\n--- tool stdout:\n" + testing::file_tail(out(), 3000) + "\n--- tool + ssh + sshrelay stderr:\n" +
           testing::file_tail(err(), 6000) + "\n--- relayd log:\n" + testing::file_tail(relay_.log_path(), 6000) +
           "\n--- sshd log:\n" + testing::file_tail(sshd_.log_path(), 3000);
  }
  std::string out() const { return scratch_.file("tool.out"); }
  std::string err() const { return scratch_.file("tool.err"); }

  TempDir scratch_{"sshrelay-cli-files-itest"};
  SshdFixture sshd_;
  RelayDaemon relay_;
};

class CliScpTest : public CliFileToolTest {
 protected:
  // scp `source` up to a remote path, then that remote file back down; both copies must hash like the
  // source. `scp_flags` go before the operands (e.g. -O).
  void copy_up_and_back(const std::vector<std::string>& scp_flags, std::uint64_t seed) {
    const auto source = scratch_.file("source.bin");
    const auto uploaded = scratch_.file("uploaded.bin");
    const auto downloaded = scratch_.file("downloaded.bin");
    testing::write_random_file(source, kBulkSize, seed);
    const auto source_hash = testing::sha256_file_hex(source);

    auto up = scp_flags;
    up.insert(up.end(), {source, remote(uploaded)});
    ASSERT_EQ(testing::run(file_tool("scp", relay_.port(), {}, up), "", out(), err(), kTransferTimeout), 0) << diagnostics();
    ASSERT_TRUE(std::filesystem::exists(uploaded)) << diagnostics();
    EXPECT_EQ(std::filesystem::file_size(uploaded), kBulkSize) << diagnostics();
    EXPECT_EQ(testing::sha256_file_hex(uploaded), source_hash) << diagnostics();

    auto down = scp_flags;
    down.insert(down.end(), {remote(uploaded), downloaded});
    ASSERT_EQ(testing::run(file_tool("scp", relay_.port(), {}, down), "", out(), err(), kTransferTimeout), 0) << diagnostics();
    ASSERT_TRUE(std::filesystem::exists(downloaded)) << diagnostics();
    EXPECT_EQ(testing::sha256_file_hex(downloaded), source_hash) << diagnostics();

    expect_relay_sessions_to_sshd(2);
  }
};

// OpenSSH 9's scp speaks SFTP by default: sshd starts the sftp subsystem for both runs and no command.
TEST_F(CliScpTest, DefaultSftpModeCopies64MiBUpAndBackIntact) {
  copy_up_and_back({}, 31);
  const auto sshd_log = testing::read_file(sshd_.log_path());
  EXPECT_EQ(count_occurrences(sshd_log, kSftpSessionLine), 2u) << diagnostics();
  EXPECT_EQ(count_occurrences(sshd_log, kCommandSessionLine), 0u) << diagnostics();
}

// `scp -O`: the legacy protocol, a remote `scp -t` / `scp -f` command per run and no SFTP at all.
TEST_F(CliScpTest, LegacyProtocolCopies64MiBUpAndBackIntact) {
  copy_up_and_back({"-O"}, 32);
  const auto sshd_log = testing::read_file(sshd_.log_path());
  EXPECT_EQ(count_occurrences(sshd_log, kCommandSessionLine), 2u) << diagnostics();
  EXPECT_EQ(count_occurrences(sshd_log, kSftpSessionLine), 0u) << diagnostics();
}

class CliSftpTest : public CliFileToolTest {
 protected:
  // A batch file for `sftp -b`, one command a line, paths double-quoted (sftp's own quoting).
  std::string write_batch(const std::vector<std::string>& commands) const {
    std::string text;
    for (const auto& command : commands) text += command + "\n";
    const auto path = scratch_.file("batch.sftp");
    testing::write_file(path, text);
    return path;
  }
  static std::string quoted(const std::string& path) { return "\"" + path + "\""; }
};

// One `sftp -b` session: mkdir, put 64 MiB, rename, ls, get it back, rm another file. sftp -b stops at the
// first failing command with a non-zero exit, so exit 0 means each one succeeded; the disk shows their
// effects and both copies hash like the source.
TEST_F(CliSftpTest, BatchMkdirPutRenameLsGetRmCopies64MiBIntact) {
  const auto source = scratch_.file("source.bin");
  const auto downloaded = scratch_.file("downloaded.bin");
  const auto tree = scratch_.file("tree");
  const auto uploaded = tree + "/uploaded.bin";
  const auto renamed = tree + "/renamed.bin";
  const auto doomed = scratch_.file("doomed.txt");
  testing::write_random_file(source, kBulkSize, 33);
  testing::write_file(doomed, "remove me\n");
  const auto source_hash = testing::sha256_file_hex(source);

  const auto batch = write_batch({
      "mkdir " + quoted(tree),
      "put " + quoted(source) + " " + quoted(uploaded),
      "rename " + quoted(uploaded) + " " + quoted(renamed),
      "ls -1 " + quoted(tree),
      "get " + quoted(renamed) + " " + quoted(downloaded),
      "rm " + quoted(doomed),
  });
  ASSERT_EQ(testing::run(file_tool("sftp", relay_.port(), {}, {"-b", batch, destination()}), "", out(), err(),
                         kTransferTimeout),
            0)
      << diagnostics();

  EXPECT_TRUE(std::filesystem::is_directory(tree)) << diagnostics();
  EXPECT_FALSE(std::filesystem::exists(uploaded)) << "rename left the old name" << diagnostics();
  ASSERT_TRUE(std::filesystem::exists(renamed)) << diagnostics();
  EXPECT_EQ(testing::sha256_file_hex(renamed), source_hash) << diagnostics();
  ASSERT_TRUE(std::filesystem::exists(downloaded)) << diagnostics();
  EXPECT_EQ(testing::sha256_file_hex(downloaded), source_hash) << diagnostics();
  EXPECT_FALSE(std::filesystem::exists(doomed)) << "rm left the file" << diagnostics();

  // sftp -b echoes each command as "sftp> ..."; what ls printed sits between its echo and the next one,
  // and lists the renamed file only.
  const auto stdout_text = testing::read_file(out());
  const auto ls_echo = stdout_text.find("sftp> ls");
  ASSERT_NE(ls_echo, std::string::npos) << diagnostics();
  const auto listing_start = stdout_text.find('\n', ls_echo);
  const auto listing_end = stdout_text.find("sftp> ", ls_echo + 1);
  ASSERT_NE(listing_start, std::string::npos) << diagnostics();
  ASSERT_NE(listing_end, std::string::npos) << diagnostics();
  const auto listing = stdout_text.substr(listing_start, listing_end - listing_start);
  EXPECT_NE(listing.find("renamed.bin"), std::string::npos) << "ls output: " << listing << diagnostics();
  EXPECT_EQ(listing.find("uploaded.bin"), std::string::npos) << "ls output: " << listing << diagnostics();

  expect_relay_sessions_to_sshd(1);
  EXPECT_EQ(count_occurrences(testing::read_file(sshd_.log_path()), kSftpSessionLine), 1u) << diagnostics();
}

class CliSftpCutsTest : public CliSftpTest {};

// `sftp get` of 64 MiB through a proxy that resets the CLI's relay connection kSftpCuts times at random
// points (inside v4 frames, with SFTP reads in flight): the CLI resumes the v4 session after each cut,
// the relay replays what was unacknowledged, and sftp exits 0 with an identical file.
TEST_F(CliSftpCutsTest, GetOf64MiBSurvivesCutsMidTransfer) {
  const auto source = scratch_.file("source.bin");
  const auto downloaded = scratch_.file("downloaded.bin");
  testing::write_random_file(source, kBulkSize, 34);
  const auto source_hash = testing::sha256_file_hex(source);
  const auto batch = write_batch({"get " + quoted(source) + " " + quoted(downloaded)});

  const auto seed = std::random_device{}();
  SCOPED_TRACE("cut plan seed " + std::to_string(seed));
  CuttingProxy proxy("127.0.0.1", relay_.port());
  // Bytes through the proxy: the 64 MiB, SFTP, SSH and v4 framing, ACKs; the plan ends well before that.
  proxy.set_cut_plan(testing::random_cut_plan(seed, 1 * kMiB, 60 * kMiB, kSftpCuts));
  ASSERT_EQ(testing::run(file_tool("sftp", proxy.port(), {"-v", "--stats-interval", "1"}, {"-b", batch, destination()}),
                         "", out(), err(), kTransferTimeout),
            0)
      << diagnostics();
  EXPECT_EQ(proxy.cuts(), static_cast<std::uint64_t>(kSftpCuts)) << diagnostics();
  ASSERT_TRUE(std::filesystem::exists(downloaded)) << diagnostics();
  EXPECT_EQ(testing::sha256_file_hex(downloaded), source_hash) << diagnostics();

  // One resume per cut, in the relay's log and in the CLI's -v output; still a single relay session.
  EXPECT_EQ(count_occurrences(relay_.log_text(), " resumed from "), proxy.cuts()) << diagnostics();
  EXPECT_EQ(count_occurrences(testing::read_file(err()), "RECONNECT_SUCCESS after"), proxy.cuts()) << diagnostics();
  EXPECT_GE(proxy.connections_accepted(), proxy.cuts() + 1);
  expect_relay_sessions_to_sshd(1);
}

}  // namespace
}  // namespace sshrelay::itest
