// sshrelay-gateway's relay leg (docs/gateway.md): the client's SSH goes, unchanged, through the gateway's
// port and a resumable relay session to the remote's sshd, so everything SSH carries works — here scp of
// 64 MiB while a proxy in front of the relay cuts the gateway's WebSocket a dozen times.
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>

#include "tests/support/cutting_proxy.hpp"
#include "tests/support/files.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/process.hpp"
#include "tests/support/relay_daemon.hpp"
#include "tests/support/sha256.hpp"
#include "tests/support/sshd_fixture.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;

namespace sshrelay::testing {
namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr int kCuts = 12;

TEST(RelayGatewayTest, ScpOf64MiBThroughTheGatewaySurvivesADozenCutsOfTheRelayLeg) {
  TempDir dir("gateway-relay-test");
  SshdFixture sshd;
  sshd.start();
  RelayDaemon relay;
  relay.start(SSHRELAYD_PATH, {"--unsafe-allow-loopback"});
  CuttingProxy proxy("127.0.0.1", relay.port());
  const auto port = pick_free_loopback_port();
  ProcessIo io;
  io.stdout_path = io.stderr_path = dir.file("gateway.log");
  io.env = {{"GATEWAY_WAN", "relay"}, {"REMOTE_HOST", "127.0.0.1"}, {"REMOTE_PORT", std::to_string(sshd.port())}};
  Process gateway({GATEWAY_PATH, "--relay", "ws://127.0.0.1:" + std::to_string(proxy.port()), "--host", "127.0.0.1", "--port",
                   std::to_string(port)},
                  io);
  for (int i = 0; i < 200 && !loopback_port_accepts(port); ++i) {
    ASSERT_TRUE(gateway.running()) << file_tail(dir.file("gateway.log"));
    std::this_thread::sleep_for(50ms);
  }
  const auto diagnostics = [&] {
    return "\n--- gateway:\n" + file_tail(dir.file("gateway.log"), 4000) + "\n--- scp:\n" + file_tail(dir.file("scp.err"), 3000) +
           "\n--- relay:\n" + file_tail(relay.log_path(), 3000);
  };

  const auto source = dir.file("source.bin");
  const auto uploaded = dir.file("uploaded.bin");
  write_random_file(source, 64 * kMiB, 19);
  const auto seed = std::random_device{}();
  SCOPED_TRACE("cut plan seed " + std::to_string(seed));
  proxy.set_cut_plan(random_cut_plan(seed, 1 * kMiB, 60 * kMiB, kCuts));
  // The remote's own host key is checked end to end (HostKeyAlias): the gateway holds no SSH of its own here.
  auto argv = sshd.ssh_argv(port, {"-o", "LogLevel=ERROR"}, "");
  argv.front() = "scp";
  *std::find(argv.begin(), argv.end(), "-p") = "-P";
  argv.back() = source;  // the destination operand follows
  argv.push_back(sshd.user() + "@127.0.0.1:" + uploaded);
  ASSERT_EQ(run(argv, "", dir.file("scp.out"), dir.file("scp.err"), 240s), 0) << diagnostics();
  EXPECT_GE(proxy.cuts(), 10u) << diagnostics();
  EXPECT_EQ(sha256_file_hex(uploaded), sha256_file_hex(source)) << diagnostics();
  EXPECT_GE(proxy.connections_accepted(), proxy.cuts() + 1) << diagnostics();
}

}  // namespace
}  // namespace sshrelay::testing
