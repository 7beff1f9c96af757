// `sshrelay proxy` against a wss:// relay with a throwaway certificate: trusted through --ca-file,
// refused when untrusted (exit 5), accepted with --insecure only with a loud warning.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/integration/harness.hpp"
#include "tests/integration/tls_relay_test_base.hpp"
#include "tests/support/files.hpp"
#include "tests/support/process.hpp"
#include "tests/support/relay_daemon.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::itest {
namespace {

class CliTlsTest : public TlsRelayTestBase {
 protected:
  // Runs the CLI to a target that sends `bytes_` and closes; returns the exit code.
  int run_cli(const std::string& host, const std::vector<std::string>& flags) {
    std::vector<std::string> argv = {SSHRELAY_CLI_PATH, "proxy", "--relay", "wss://" + host + ":" + std::to_string(relay_.port())};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), {"127.0.0.1", std::to_string(push_.port())});
    return testing::run(argv, "", out(), err(), 120s);
  }
  std::string out() const { return dir_.file("cli.out"); }
  std::string err() const { return dir_.file("cli.err"); }
  std::string describe() const {
    return "\n--- sshrelay stderr:\n" + testing::file_tail(err()) + "\n--- relayd log:\n" + testing::file_tail(relay_.log_path());
  }

  std::shared_ptr<const std::vector<std::uint8_t>> bytes_ =
      std::make_shared<const std::vector<std::uint8_t>>(deterministic_bytes(300000, 5));
  TcpTarget push_{TcpTarget::push(bytes_)};
};

TEST_F(CliTlsTest, CaFileTrustsTheRelay) {
  ASSERT_EQ(run_cli("localhost", {"--ca-file", cert_}), 0) << describe();
  EXPECT_EQ(testing::read_file(out()).size(), bytes_->size());
  EXPECT_EQ(testing::read_file(err()).find("WARNING"), std::string::npos) << describe();
}

TEST_F(CliTlsTest, UntrustedCertificateExitsFive) {
  ASSERT_EQ(run_cli("127.0.0.1", {}), 5) << describe();
  EXPECT_NE(testing::read_file(err()).find("TLS handshake"), std::string::npos) << describe();
  EXPECT_EQ(testing::read_file(out()), "");
}

TEST_F(CliTlsTest, InsecureWorksButWarns) {
  ASSERT_EQ(run_cli("127.0.0.1", {"--insecure"}), 0) << describe();
  EXPECT_EQ(testing::read_file(out()).size(), bytes_->size());
  EXPECT_NE(testing::read_file(err()).find("WARNING: --insecure"), std::string::npos) << describe();
}

// `sshrelay create` speaks plain HTTPS to the admin API with the same trust: through --ca-file the relay
// answers (this one names no rendezvous admins, so 403 with its reason); without it the handshake fails.
TEST_F(CliTlsTest, CreateUsesTheSameTlsTrust) {
  const auto relay = "wss://localhost:" + std::to_string(relay_.port());
  EXPECT_EQ(testing::run({SSHRELAY_CLI_PATH, "create", "--relay", relay, "--ca-file", cert_}, "", out(), err(), 60s), 1);
  EXPECT_NE(testing::read_file(err()).find("HTTP 403"), std::string::npos) << describe();
  EXPECT_NE(testing::read_file(err()).find("names no rendezvous admins"), std::string::npos) << describe();
  EXPECT_EQ(testing::run({SSHRELAY_CLI_PATH, "create", "--relay", relay}, "", out(), err(), 60s), 1);
  EXPECT_NE(testing::read_file(err()).find("TLS handshake"), std::string::npos) << describe();
}

}  // namespace
}  // namespace sshrelay::itest
