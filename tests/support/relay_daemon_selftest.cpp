// RelayDaemon against a stand-in shell script (sshrelayd need not exist to test the harness): the ready
// file handshake, early-exit reporting, stop with SIGTERM and RSS reading.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>

#include "tests/support/files.hpp"
#include "tests/support/relay_daemon.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::testing {
namespace {

using namespace std::chrono_literals;

// Argument 4 is the ready-file path (after --listen ADDR --ready-file). Writes it the way sshrelayd
// promises to: a temporary file renamed into place.
constexpr const char* kFakeDaemon = R"(#!/bin/sh
ready="$4"
trap 'echo "fake relayd: SIGTERM, extra=$5 mode=$FAKE_MODE" >&2; exit 0' TERM
echo "fake relayd: argv $*" >&2
if [ "$FAKE_MODE" = fail ]; then echo "fake relayd: bad configuration" >&2; exit 3; fi
printf '{"listen":["127.0.0.1:45678","[::1]:45679"]}' > "$ready.tmp"
mv "$ready.tmp" "$ready"
while :; do sleep 0.05; done
)";

class RelayDaemonSelfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    script_ = dir_.file("fake-relayd");
    write_file(script_, kFakeDaemon, 0755);
  }
  TempDir dir_{"sshrelay-selftest"};
  std::string script_;
};

TEST_F(RelayDaemonSelfTest, WaitsForReadyFileAndStopsWithSigterm) {
  RelayDaemon daemon;
  daemon.start(script_, {"--extra"}, {{"FAKE_MODE", "ok"}});
  EXPECT_EQ(daemon.port(), 45678);
  EXPECT_EQ(daemon.listen_addresses(), (std::vector<std::string>{"127.0.0.1:45678", "[::1]:45679"}));
  EXPECT_TRUE(daemon.running());
  EXPECT_GT(daemon.pid(), 0);
  EXPECT_GT(daemon.rss_kib(), 0u);
  EXPECT_NE(daemon.log_text().find("--listen 127.0.0.1:0 --ready-file " + daemon.dir() + "/ready.json --extra"),
            std::string::npos)
      << daemon.log_text();
  EXPECT_EQ(daemon.stop(30s), 0);
  EXPECT_EQ(daemon.stop(30s), 0);  // idempotent
  EXPECT_FALSE(daemon.running());
  EXPECT_NE(daemon.log_text().find("SIGTERM, extra=--extra mode=ok"), std::string::npos) << daemon.log_text();
  EXPECT_THROW(daemon.rss_kib(), std::runtime_error);
}

TEST_F(RelayDaemonSelfTest, EarlyExitThrowsWithLogTail) {
  RelayDaemon daemon;
  try {
    daemon.start(script_, {}, {{"FAKE_MODE", "fail"}});
    FAIL() << "start did not throw";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("exited with 3"), std::string::npos) << what;
    EXPECT_NE(what.find("bad configuration"), std::string::npos) << what;
  }
}

TEST_F(RelayDaemonSelfTest, MissingBinaryThrows) {
  RelayDaemon daemon;
  EXPECT_THROW(daemon.start(dir_.file("no-such-sshrelayd"), {}), std::runtime_error);
}

}  // namespace
}  // namespace sshrelay::testing
