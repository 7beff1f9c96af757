#pragma once
// A test whose sshrelayd serves https:// and wss:// with a throwaway certificate for localhost and
// 127.0.0.1 (tests/support/test_certificate.hpp); clients trust it through cert_ as their CA file.
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/harness.hpp"
#include "tests/support/relay_daemon.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_certificate.hpp"

namespace sshrelay::itest {

class TlsRelayTestBase : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto made = testing::make_test_certificate(dir_);
    cert_ = made.cert;
    key_ = made.key;
    relay_.start(relayd_path(), {"--unsafe-allow-loopback", "--tls-cert", cert_, "--tls-key", key_});
  }

  testing::TempDir dir_{"sshrelay-itest-tls"};
  std::string cert_;
  std::string key_;
  testing::RelayDaemon relay_;
};

}  // namespace sshrelay::itest
