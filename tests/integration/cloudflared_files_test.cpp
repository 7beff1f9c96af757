// deploy/cloudflared: cloudflared is not a Debian package, so the tunnel itself cannot run here. What can be
// checked is checked: the config is YAML (python3-yaml reads it), its ingress ends with the catch-all that
// cloudflared requires and sends the relay's host name to the address sshrelayd listens on in the shipped
// env file (the two files must agree), and systemd accepts the tunnel's unit. Where a cloudflared binary is
// on PATH, its own `tunnel ingress validate` and `tunnel ingress rule` run too.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/integration/harness.hpp"
#include "tests/support/files.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::itest {
namespace {

namespace fs = std::filesystem;

std::string env_example_value(const std::string& name) {
  std::ifstream in(source_tree() + "/deploy/systemd/sshrelayd.env.example");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + "=", 0) == 0) return line.substr(name.size() + 1);
  }
  return "";
}

class CloudflaredFilesTest : public ::testing::Test {
 protected:
  std::string config() const { return source_tree() + "/deploy/cloudflared/config.yml"; }
  std::string said(const std::string& log) const { return testing::read_file(dir_.file(log)); }
  testing::TempDir dir_{"sshrelay-cloudflared"};
};

TEST_F(CloudflaredFilesTest, IngressSendsTheRelayHostToTheShippedListenAddress) {
  const auto json = dir_.file("config.json");
  ASSERT_EQ(testing::run({"python3", "-c", "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)", config()},
                         "", json, dir_.file("yaml.err"), 60s),
            0)
      << said("yaml.err");
  const auto cfg = nlohmann::json::parse(testing::read_file(json), nullptr, false);
  ASSERT_TRUE(cfg.is_object()) << testing::read_file(json);
  ASSERT_TRUE(cfg.contains("tunnel") && cfg.contains("credentials-file"));
  EXPECT_NE(cfg["credentials-file"].get<std::string>().find(cfg["tunnel"].get<std::string>()), std::string::npos)
      << "the credentials file is named after the tunnel";
  const auto& ingress = cfg["ingress"];
  ASSERT_TRUE(ingress.is_array() && ingress.size() >= 2);
  EXPECT_FALSE(ingress.back().contains("hostname")) << "cloudflared requires a catch-all as the last rule";
  EXPECT_EQ(ingress.back()["service"], "http_status:404");
  const auto listen = env_example_value("RELAY_LISTEN");
  ASSERT_FALSE(listen.empty());
  EXPECT_EQ(ingress.front()["hostname"], env_example_value("RELAY_PUBLIC_HOST"));
  EXPECT_EQ(ingress.front()["service"], "http://" + listen) << "the tunnel must reach the address sshrelayd.env.example listens on";
  EXPECT_FALSE(ingress.front().contains("originRequest") && ingress.front()["originRequest"].contains("noTLSVerify"));
}

TEST_F(CloudflaredFilesTest, SystemdAcceptsTheTunnelUnit) {
  // verify checks that ExecStart's binary exists: point it at one that does, keep everything else.
  auto text = testing::read_file(source_tree() + "/deploy/cloudflared/cloudflared-sshrelay.service");
  const std::string exec = "ExecStart=/usr/local/bin/cloudflared";
  ASSERT_NE(text.find(exec), std::string::npos);
  text.replace(text.find(exec), exec.size(), "ExecStart=/bin/true");
  const auto unit = dir_.file("cloudflared-sshrelay.service");
  testing::write_file(unit, text);
  EXPECT_EQ(testing::run({"systemd-analyze", "verify", unit}, "", dir_.file("verify.log"), dir_.file("verify.log"), 60s), 0)
      << said("verify.log");
  EXPECT_EQ(said("verify.log"), "");
}

TEST_F(CloudflaredFilesTest, CloudflaredValidatesItsOwnConfig) {
  if (testing::run({"sh", "-c", "command -v cloudflared"}, "", dir_.file("v.out"), dir_.file("v.err"), 30s) != 0) {
    GTEST_SKIP() << "cloudflared is not installed (it is not a Debian package): its own ingress check did not run";
  }
  EXPECT_EQ(testing::run({"cloudflared", "tunnel", "--config", config(), "ingress", "validate"}, "", dir_.file("validate.log"),
                         dir_.file("validate.log"), 60s),
            0)
      << said("validate.log");
  ASSERT_EQ(testing::run({"cloudflared", "tunnel", "--config", config(), "ingress", "rule", "https://relay.example.com/v4/connect"},
                         "", dir_.file("rule.log"), dir_.file("rule.log"), 60s),
            0)
      << said("rule.log");
  EXPECT_NE(said("rule.log").find("http://" + env_example_value("RELAY_LISTEN")), std::string::npos) << said("rule.log");
}

}  // namespace
}  // namespace sshrelay::itest
