// wss:// end to end: the daemon serves TLS with a throwaway certificate for localhost/127.0.0.1, and the
// client verifies it (IP SAN, and a DNS name with SNI), refuses it when it is not trusted, and skips the
// check only with --insecure.
#include <gtest/gtest.h>

#include "native/client/client_error.hpp"
#include "native/client/tls_context.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/tls_relay_test_base.hpp"
#include "tests/support/files.hpp"
#include "tests/support/process.hpp"
#include "tests/support/relay_daemon.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::itest {
namespace {

class TlsTest : public TlsRelayTestBase {
 protected:
  std::string log() const { return "\n--- relayd log:\n" + testing::file_tail(relay_.log_path()); }

  // Options for wss://<host>:<port> with the given trust settings.
  client::ConnectionOptions wss_options(const std::string& host, const client::TlsOptions& tls) {
    auto options = client_options(relay_.port(), "127.0.0.1", echo_.port());
    auto relay = client::parse_relay_url("wss://" + host + ":" + std::to_string(relay_.port()));
    EXPECT_TRUE(relay);
    options.transport.relay = *relay;
    options.transport.insecure = tls.insecure;
    options.transport.tls = client::make_client_tls_context(tls);
    return options;
  }

  // Connects, waits for CONNECT_SUCCESS, stops; returns the outcome's description on failure.
  void expect_session(client::ConnectionOptions options) {
    MemoryClient c(io_.ioc(), std::move(options));
    c.start();
    ASSERT_TRUE(wait_until([&] { return !c.connection().session_id().empty() || c.done(); }, 60s)) << c.describe();
    ASSERT_FALSE(c.connection().session_id().empty()) << c.describe() << log();
    c.connection().stop();
    ASSERT_TRUE(c.wait_done(60s)) << c.describe();
  }

  TcpTarget echo_{TcpTarget::echo()};
  IoThread io_;
};

TEST_F(TlsTest, VerifiesAnIpAddressCertificate) { expect_session(wss_options("127.0.0.1", {false, cert_})); }

TEST_F(TlsTest, VerifiesAHostNameWithSni) { expect_session(wss_options("localhost", {false, cert_})); }

TEST_F(TlsTest, InsecureSkipsVerification) { expect_session(wss_options("127.0.0.1", {true, {}})); }

TEST_F(TlsTest, UntrustedCertificateFailsTheHandshake) {
  MemoryClient c(io_.ioc(), wss_options("127.0.0.1", {false, {}}));
  c.start();
  ASSERT_TRUE(c.wait_done(60s)) << c.describe();
  EXPECT_TRUE(c.ec()) << c.describe();
  EXPECT_NE(c.close().detail.find("TLS handshake"), std::string::npos) << c.describe();
  EXPECT_TRUE(c.connection().session_id().empty());
}

TEST_F(TlsTest, CertificateForAnotherNameFails) {
  // Reached by address, but the certificate must match other.example, which it does not name.
  auto options = wss_options("127.0.0.1", {false, cert_});
  options.transport.tls_server_name = "other.example";
  MemoryClient c(io_.ioc(), options);
  c.start();
  ASSERT_TRUE(c.wait_done(60s)) << c.describe();
  EXPECT_TRUE(c.ec()) << c.describe();
  EXPECT_NE(c.close().detail.find("TLS handshake"), std::string::npos) << c.describe();
  EXPECT_TRUE(c.connection().session_id().empty());

  // The same address under the name the certificate does carry is fine.
  auto good = wss_options("127.0.0.1", {false, cert_});
  good.transport.tls_server_name = "localhost";
  expect_session(good);
}

}  // namespace
}  // namespace sshrelay::itest
