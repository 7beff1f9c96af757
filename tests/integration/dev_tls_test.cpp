// scripts/dev-tls (what `make dev-tls` runs): mkcert makes a local CA and a certificate for localhost,
// 127.0.0.1 and ::1, sshrelayd serves the page over TLS with it, and curl trusts it through mkcert's CA
// (and refuses it without). The CA is made in a scratch CAROOT and installed nowhere (DEV_TLS_NO_INSTALL).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <filesystem>
#include <string>

#include "tests/integration/harness.hpp"
#include "tests/support/files.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::itest {
namespace {

namespace fs = std::filesystem;

TEST(DevTlsTest, ServesThePageOverTlsTrustedThroughMkcertsCa) {
  testing::TempDir dir("sshrelay-dev-tls");
  fs::create_directories(dir.file("web"));
  testing::write_file(dir.file("web/index.html"), "<!doctype html><title>dev tls page</title>\n");
  const auto ready = dir.file("ready.json");
  const auto log = dir.file("dev-tls.log");
  testing::Process relay({"bash", source_tree() + "/scripts/dev-tls", relayd_path(), dir.file("web"), "--ready-file", ready},
                         testing::ProcessIo{"", log, log,
                                            {{"CAROOT", dir.file("ca")}, {"DEV_TLS_DIR", dir.file("certs")},
                                             {"DEV_TLS_NO_INSTALL", "1"}, {"DEV_TLS_LISTEN", "127.0.0.1:0"}}});
  std::string port;
  ASSERT_TRUE(wait_until([&] {
    if (!fs::exists(ready)) return !relay.running();
    const auto j = nlohmann::json::parse(testing::read_file(ready), nullptr, false);
    if (j.is_discarded() || !j.contains("listen")) return false;
    const std::string address = j["listen"][0];
    port = address.substr(address.rfind(':') + 1);
    return true;
  }, 120s)) << testing::read_file(log);
  ASSERT_FALSE(port.empty()) << testing::read_file(log);
  EXPECT_NE(testing::read_file(log).find("--use-ssl --proxy-mode=corp-relay-v4@google.com"), std::string::npos)
      << testing::read_file(log);

  const auto ca = dir.file("ca/rootCA.pem");
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    const auto out = dir.file("curl-" + host + ".out");
    EXPECT_EQ(testing::run({"curl", "--silent", "--show-error", "--fail", "--cacert", ca, "https://" + host + ":" + port + "/"}, "",
                           out, dir.file("curl.err"), 60s),
              0)
        << testing::read_file(dir.file("curl.err"));
    EXPECT_NE(testing::read_file(out).find("dev tls page"), std::string::npos) << host;
  }
  // Without the CA the certificate is not trusted (curl's exit 60): it is mkcert's, not a public one.
  EXPECT_EQ(testing::run({"curl", "--silent", "https://127.0.0.1:" + port + "/"}, "", dir.file("untrusted.out"),
                         dir.file("untrusted.err"), 60s),
            60);
  relay.terminate();
}

}  // namespace
}  // namespace sshrelay::itest
