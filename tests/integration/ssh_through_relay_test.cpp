// Real ssh → LocalListener (our client) → sshrelayd → real sshd: commands, bulk transfers both ways,
// and transfers that survive WebSocket drops (the test hook, and a proxy that resets connections) with
// ssh never noticing.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "native/client/local_listener.hpp"
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


class SshThroughRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sshd_.start();
    relay_.start(relayd_path(), {"--unsafe-allow-loopback"});
  }

  ~SshThroughRelayTest() override {
    // No handler runs after this, so the hooks' targets and the connections (whose timers belong to the
    // io_context) can go, before the io_context itself.
    io_.stop();
    connections_.clear();
    listener_.reset();
  }

  void TearDown() override {
    if (listener_) {
      listener_->stop();
      EXPECT_TRUE(wait_until([this] { return listener_->live_connections().empty(); }, 60s))
          << "client connections did not wind down\n" << diagnostics();
    }
  }

  // Starts the local listener, tunnelling to sshd through ws://127.0.0.1:<relay_port>.
  void start_listener(std::uint16_t relay_port) {
    client::LocalListener::Hooks hooks;
    hooks.on_accept = [this](const std::shared_ptr<client::RelayConnection>& c) {
      std::lock_guard lock(mutex_);
      connections_.push_back(c);
    };
    hooks.on_done = [this](const std::shared_ptr<client::RelayConnection>&, error_code ec,
                           const client::CloseInfo& info) {
      std::lock_guard lock(mutex_);
      outcomes_.emplace_back(ec, info);
    };
    listener_ = std::make_shared<client::LocalListener>(
        io_.ioc(), client_options(relay_port, "127.0.0.1", sshd_.port(), sshd_.user()), 0, "127.0.0.1", hooks);
    listener_->start();
  }

  std::vector<std::string> ssh(const std::string& command) const {
    return sshd_.ssh_argv(listener_->port(), {"-o", "LogLevel=ERROR"}, command);
  }

  std::shared_ptr<client::RelayConnection> first_connection() {
    std::lock_guard lock(mutex_);
    return connections_.empty() ? nullptr : connections_.front();
  }

  // Every client connection ends cleanly: the relay closed it with 1000 after sshd closed.
  void expect_clean_endings(std::size_t count) {
    ASSERT_TRUE(wait_until(
        [&] {
          std::lock_guard lock(mutex_);
          return outcomes_.size() >= count;
        },
        60s))
        << diagnostics();
    std::lock_guard lock(mutex_);
    for (const auto& [ec, info] : outcomes_) {
      EXPECT_FALSE(ec) << ec.message() << " " << info.detail;
      EXPECT_EQ(info.code, 1000) << info.reason;
    }
  }

  std::string diagnostics() const {
    return "\n--- ssh stderr:\n" + testing::file_tail(err()) + "\n--- relayd log:\n" +
           testing::file_tail(relay_.log_path()) + "\n--- sshd log:\n" + testing::file_tail(sshd_.log_path(), 2000);
  }
  std::string out() const { return scratch_.file("ssh.out"); }
  std::string err() const { return scratch_.file("ssh.err"); }

  // See the destructor: the io thread is stopped first, then the client objects go, then the io_context.
  std::mutex mutex_;
  std::vector<std::shared_ptr<client::RelayConnection>> connections_;
  std::vector<std::pair<error_code, client::CloseInfo>> outcomes_;
  TempDir scratch_{"sshrelay-itest"};
  SshdFixture sshd_;
  RelayDaemon relay_;
  IoThread io_;
  std::shared_ptr<client::LocalListener> listener_;
};

TEST_F(SshThroughRelayTest, RunsACommand) {
  start_listener(relay_.port());
  ASSERT_EQ(testing::run(ssh("echo hello-through-relay"), "", out(), err(), 120s), 0) << diagnostics();
  EXPECT_EQ(testing::read_file(out()), "hello-through-relay\n");
  expect_clean_endings(1);
  auto c = first_connection();
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->session_id().empty());
  EXPECT_EQ(c->reconnects(), 0u);
  EXPECT_GT(c->bytes_from_local(), 0u);
  EXPECT_GT(c->bytes_to_local(), 0u);
}

TEST_F(SshThroughRelayTest, Uploads64MiB) {
  start_listener(relay_.port());
  const auto source = scratch_.file("up-source.bin");
  const auto written = scratch_.file("up.bin");
  testing::write_random_file(source, kBulkSize, 1);
  ASSERT_EQ(testing::run(ssh("cat > '" + written + "'"), source, out(), err(), 240s), 0) << diagnostics();
  EXPECT_EQ(testing::sha256_file_hex(written), testing::sha256_file_hex(source));
  expect_clean_endings(1);
  EXPECT_GT(first_connection()->bytes_from_local(), kBulkSize);
}

TEST_F(SshThroughRelayTest, Downloads64MiB) {
  start_listener(relay_.port());
  const auto source = scratch_.file("down-source.bin");
  testing::write_random_file(source, kBulkSize, 2);
  ASSERT_EQ(testing::run(ssh("cat '" + source + "'"), "", out(), err(), 240s), 0) << diagnostics();
  EXPECT_EQ(testing::sha256_file_hex(out()), testing::sha256_file_hex(source));
  expect_clean_endings(1);
  EXPECT_GT(first_connection()->bytes_to_local(), kBulkSize);
}

// The client's test hook resets its WebSocket (no close frame) five times during a download; each time
// it resumes with /v4/reconnect and the transfer continues exactly where it was.
//
// The drops are made by this thread as it watches the transfer: the drops come early (4, 8, ... 20 MiB
// of 64), and the remote command, once `cat` is done, waits for the DONE file this thread writes after
// the last resume, so the session cannot end before every drop happened however the scheduler treats
// this thread.
TEST_F(SshThroughRelayTest, DownloadSurvivesDroppedWebSockets) {
  start_listener(relay_.port());
  const auto source = scratch_.file("down-source.bin");
  const auto done = scratch_.file("DONE");
  testing::write_random_file(source, kBulkSize, 3);
  testing::ProcessIo io;
  io.stdout_path = out();
  io.stderr_path = err();
  testing::Process ssh_process(
      ssh("cat '" + source + "' && while [ ! -e '" + done + "' ]; do sleep 0.1; done"), io);

  constexpr int kDrops = 5;
  int drops = 0;
  std::shared_ptr<client::RelayConnection> c;
  const auto deadline = std::chrono::steady_clock::now() + 240s;
  while (ssh_process.running() && std::chrono::steady_clock::now() < deadline) {
    if (!c) c = first_connection();
    // Drop at 4, 8, ... MiB delivered, each time only once the previous drop has been resumed.
    if (c && drops < kDrops && c->reconnects() >= static_cast<std::uint64_t>(drops) &&
        c->bytes_to_local() >= static_cast<std::uint64_t>(drops + 1) * 4 * kMiB) {
      c->drop_transport();
      ++drops;
    }
    if (c && drops == kDrops && c->reconnects() >= static_cast<std::uint64_t>(kDrops) &&
        !std::filesystem::exists(done)) {
      testing::write_file(done, "");
    }
    std::this_thread::sleep_for(5ms);
  }
  const auto code = ssh_process.wait_for(60s);
  ASSERT_EQ(code, 0) << diagnostics();
  ASSERT_TRUE(c);
  EXPECT_EQ(drops, kDrops) << "the transfer ended before every drop happened";
  EXPECT_EQ(testing::sha256_file_hex(out()), testing::sha256_file_hex(source)) << diagnostics();
  EXPECT_GE(c->reconnects(), static_cast<std::uint64_t>(drops)) << diagnostics();
  expect_clean_endings(1);
}

// A TCP proxy between the client and the relay resets every connection at six byte offsets, landing
// inside frames. ssh never notices; the bytes arrive intact.
TEST_F(SshThroughRelayTest, DownloadSurvivesConnectionCutsInsideFrames) {
  CuttingProxy proxy("127.0.0.1", relay_.port());
  start_listener(proxy.port());
  const auto source = scratch_.file("down-source.bin");
  testing::write_random_file(source, kBulkSize, 4);
  proxy.set_cut_plan({3 * kMiB + 17, 11 * kMiB + 4093, 19 * kMiB + 6, 30 * kMiB + 16385, 41 * kMiB + 9,
                      52 * kMiB + 12345});
  ASSERT_EQ(testing::run(ssh("cat '" + source + "'"), "", out(), err(), 240s), 0) << diagnostics();
  EXPECT_EQ(testing::sha256_file_hex(out()), testing::sha256_file_hex(source)) << diagnostics();
  EXPECT_GE(proxy.cuts(), 5u);
  auto c = first_connection();
  ASSERT_TRUE(c);
  EXPECT_GE(c->reconnects(), proxy.cuts()) << diagnostics();
  EXPECT_GE(proxy.connections_accepted(), proxy.cuts() + 1);
  expect_clean_endings(1);
}

// The same cuts while uploading: now the client's retransmission (from RECONNECT_SUCCESS's ack) is what
// keeps the stream whole.
TEST_F(SshThroughRelayTest, UploadSurvivesConnectionCutsInsideFrames) {
  CuttingProxy proxy("127.0.0.1", relay_.port());
  start_listener(proxy.port());
  const auto source = scratch_.file("up-source.bin");
  const auto written = scratch_.file("up.bin");
  testing::write_random_file(source, 32 * kMiB, 5);
  proxy.set_cut_plan({2 * kMiB + 1, 7 * kMiB + 8191, 13 * kMiB + 3, 20 * kMiB + 16383, 27 * kMiB + 77});
  ASSERT_EQ(testing::run(ssh("cat > '" + written + "'"), source, out(), err(), 240s), 0) << diagnostics();
  EXPECT_EQ(testing::sha256_file_hex(written), testing::sha256_file_hex(source)) << diagnostics();
  EXPECT_GE(proxy.cuts(), 5u);
  auto c = first_connection();
  ASSERT_TRUE(c);
  EXPECT_GE(c->reconnects(), proxy.cuts()) << diagnostics();
  expect_clean_endings(1);
}

}  // namespace
}  // namespace sshrelay::itest
