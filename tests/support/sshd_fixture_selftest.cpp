// The throwaway sshd really serves the real ssh client: a command, a host-key check that can fail, and a
// bulk transfer through the cutting proxy.
#include "tests/support/sshd_fixture.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "tests/support/cutting_proxy.hpp"
#include "tests/support/files.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sha256.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::testing {
namespace {

using namespace std::chrono_literals;

class SshdFixtureSelfTest : public ::testing::Test {
 protected:
  void SetUp() override { sshd_.start(); }

  // Runs ssh, returning its exit code; stdout and stderr land in the scratch dir.
  int ssh(const std::vector<std::string>& argv, const std::string& stdin_path = "") {
    return run(argv, stdin_path, out(), err(), 90s);
  }
  std::string out() const { return scratch_.file("ssh.out"); }
  std::string err() const { return scratch_.file("ssh.err"); }
  std::string diagnostics() const {
    return "ssh stderr:\n" + file_tail(err()) + "\nsshd log:\n" + file_tail(sshd_.log_path());
  }

  SshdFixture sshd_;
  TempDir scratch_{"sshrelay-selftest"};
};

TEST_F(SshdFixtureSelfTest, EchoHello) {
  ASSERT_EQ(ssh(sshd_.ssh_argv(sshd_.port(), {}, "echo hello")), 0) << diagnostics();
  EXPECT_EQ(read_file(out()), "hello\n");
  EXPECT_EQ(sshd_.host_public_key().rfind("ssh-ed25519 AAAA", 0), 0u) << sshd_.host_public_key();
  EXPECT_NE(read_file(sshd_.log_path()).find("Accepted publickey for " + sshd_.user()), std::string::npos)
      << diagnostics();
}

TEST_F(SshdFixtureSelfTest, ArgvHasTheDocumentedShape) {
  const auto argv = sshd_.ssh_argv(2222, {"-o", "LogLevel=ERROR", "-T"}, "true");
  ASSERT_GE(argv.size(), 4u);
  EXPECT_EQ(argv.front(), "ssh");
  EXPECT_EQ(argv.back(), "true");
  EXPECT_EQ(argv[argv.size() - 2], sshd_.user() + "@127.0.0.1");
  EXPECT_EQ(argv[argv.size() - 3], "-T");
  const auto p = std::find(argv.begin(), argv.end(), "-p");
  ASSERT_NE(p, argv.end());
  EXPECT_EQ(*(p + 1), "2222");
  EXPECT_NE(std::find(argv.begin(), argv.end(), "HostKeyAlias=sshrelay-test-target"), argv.end());
  EXPECT_EQ(sshd_.ssh_argv(2222, {}, "").back(), sshd_.user() + "@127.0.0.1");
  // A value without its flag would silently become the destination.
  EXPECT_THROW(sshd_.ssh_argv(2222, {"ProxyCommand=nc %h %p"}, ""), std::invalid_argument);
}

TEST_F(SshdFixtureSelfTest, WrongHostKeyAliasIsRefused) {
  // Proves StrictHostKeyChecking is really in force: the same key under another name is unknown.
  auto argv = sshd_.ssh_argv(sshd_.port(), {}, "echo hello");
  std::replace(argv.begin(), argv.end(), std::string("HostKeyAlias=sshrelay-test-target"),
               std::string("HostKeyAlias=some-other-host"));
  EXPECT_EQ(ssh(argv), 255) << diagnostics();
  EXPECT_NE(read_file(err()).find("Host key verification failed"), std::string::npos) << diagnostics();
}

TEST_F(SshdFixtureSelfTest, BulkTransferThroughCuttingProxy) {
  CuttingProxy proxy("127.0.0.1", sshd_.port());
  const std::string payload = scratch_.file("payload");
  write_random_file(payload, 16u << 20, 2024);
  const auto argv = sshd_.ssh_argv(proxy.port(), {"-o", "LogLevel=ERROR"}, "sha256sum");
  ASSERT_EQ(ssh(argv, payload), 0) << diagnostics();
  EXPECT_EQ(read_file(out()).substr(0, 64), sha256_file_hex(payload));
  EXPECT_EQ(proxy.connections_accepted(), 1u);
  EXPECT_GT(proxy.bytes_forwarded(), 16u << 20);
}

TEST_F(SshdFixtureSelfTest, CutMidSessionKillsSshAndServerSurvives) {
  CuttingProxy proxy("127.0.0.1", sshd_.port());
  // A remote command that dies of SIGPIPE soon after its connection does: a plain `sleep` would outlive
  // the cut session (sshd only hangs up on pty sessions) and linger after the test.
  Process session(sshd_.ssh_argv(proxy.port(), {}, "echo started; while :; do sleep 0.2; echo tick; done"),
                  ProcessIo{"", out(), err(), {}});
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (read_file(out()).empty()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "ssh session never started\n" << diagnostics();
    ASSERT_TRUE(session.running()) << diagnostics();
    std::this_thread::sleep_for(20ms);
  }
  proxy.cut_all();
  EXPECT_EQ(session.wait_for(60s), 255) << diagnostics();
  // The next connection is served as usual.
  ASSERT_EQ(ssh(sshd_.ssh_argv(proxy.port(), {}, "echo again")), 0) << diagnostics();
  EXPECT_EQ(read_file(out()), "again\n");
}

TEST(SshdFixture, StopClosesThePort) {
  SshdFixture sshd;
  sshd.start();
  const std::uint16_t port = sshd.port();
  EXPECT_TRUE(sshd.running());
  EXPECT_TRUE(loopback_port_accepts(port));
  sshd.stop();
  EXPECT_FALSE(sshd.running());
  EXPECT_FALSE(loopback_port_accepts(port));
  sshd.stop();  // idempotent
}

}  // namespace
}  // namespace sshrelay::testing
