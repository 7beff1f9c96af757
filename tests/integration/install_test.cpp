// deploy/systemd/install.sh into a scratch root (--destdir): the files (binaries, page, manual pages, unit,
// env), their modes and owner; a second run keeps the operator's /etc/sshrelay/env; `systemd-analyze
// verify` accepts the installed unit; `man` renders the pages; the installed sshrelayd starts with the
// installed env (paths moved under the scratch root, the identity issuer pointed at a closed loopback port
// so nothing leaves the machine) and serves the installed page; --uninstall removes all but the env,
// --purge that too.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/integration/harness.hpp"
#include "tests/support/files.hpp"
#include "tests/support/process.hpp"
#include "tests/support/relay_daemon.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::itest {
namespace {

namespace fs = std::filesystem;

struct FileFacts {
  unsigned mode = 0;
  unsigned owner = 0;
};
FileFacts facts(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {static_cast<unsigned>(st.st_mode & 07777), static_cast<unsigned>(st.st_uid)};
}

class InstallTest : public ::testing::Test {
 protected:
  InstallTest() {
    fs::create_directories(dir_.file("web/assets"));
    testing::write_file(dir_.file("web/index.html"), "<!doctype html><title>installed page</title>\n");
    testing::write_file(dir_.file("web/assets/app.js"), "// app\n");
  }

  int install(std::vector<std::string> extra, const std::string& log) {
    std::vector<std::string> argv = {"bash", source_tree() + "/deploy/systemd/install.sh", "--destdir", root(), "--bin",
                                     fs::path(relayd_path()).parent_path().string(), "--web", dir_.file("web")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return testing::run(argv, "", dir_.file(log), dir_.file(log), 120s);
  }
  std::string root() const { return dir_.file("root"); }
  std::string at(const std::string& path) const { return root() + path; }
  std::string said(const std::string& log) const { return testing::read_file(dir_.file(log)); }

  testing::TempDir dir_{"sshrelay-install"};
};

TEST_F(InstallTest, InstallsVerifiesStartsAndUninstalls) {
  ASSERT_EQ(install({}, "install.log"), 0) << said("install.log");
  const unsigned me = ::geteuid();
  for (const auto& [path, mode] : std::vector<std::pair<std::string, unsigned>>{
           {"/usr/local/bin/sshrelayd", 0755}, {"/usr/local/bin/sshrelay", 0755},
           {"/usr/local/share/sshrelay/web", 0755}, {"/usr/local/share/sshrelay/web/index.html", 0644},
           {"/usr/local/share/sshrelay/web/assets/app.js", 0644}, {"/etc/systemd/system/sshrelayd.service", 0644},
           {"/usr/local/share/man/man8/sshrelayd.8", 0644}, {"/usr/local/share/man/man1/sshrelay.1", 0644},
           {"/etc/sshrelay/env", 0600}}) {
    const auto f = facts(at(path));
    EXPECT_EQ(f.mode, mode) << path;
    EXPECT_EQ(f.owner, me) << path;
  }

  // The manual pages are the programs' own --help, formatted: man renders them with their options.
  for (const auto& [page, option] : std::vector<std::pair<std::string, std::string>>{
           {"/usr/local/share/man/man8/sshrelayd.8", "--identity-provider"}, {"/usr/local/share/man/man1/sshrelay.1", "tcp-dial"}}) {
    const auto rendered = dir_.file("man.out");
    EXPECT_EQ(testing::run({"man", "-l", at(page)}, "", rendered, dir_.file("man.err"), 60s), 0) << said("man.err");
    EXPECT_NE(testing::read_file(rendered).find(option), std::string::npos) << page;
  }

  // The operator's settings survive a second run.
  { std::ofstream(at("/etc/sshrelay/env"), std::ios::app) << "RELAY_GRACE_SECONDS=300\n"; }
  const auto edited = testing::read_file(at("/etc/sshrelay/env"));
  ASSERT_EQ(install({}, "again.log"), 0) << said("again.log");
  EXPECT_EQ(testing::read_file(at("/etc/sshrelay/env")), edited);
  EXPECT_NE(said("again.log").find("kept your"), std::string::npos) << said("again.log");

  // systemd's own check of the unit, run against the installed binary (it checks ExecStart exists).
  // It exits 0 even for settings it ignores, so its output must be empty too.
  const auto unit = dir_.file("verify/sshrelayd.service");
  fs::create_directories(dir_.file("verify"));
  auto text = testing::read_file(at("/etc/systemd/system/sshrelayd.service"));
  const std::string exec = "ExecStart=/usr/local/bin/sshrelayd";
  ASSERT_NE(text.find(exec), std::string::npos) << text;
  text.replace(text.find(exec), exec.size(), "ExecStart=" + at("/usr/local/bin/sshrelayd"));
  testing::write_file(unit, text);
  EXPECT_EQ(testing::run({"systemd-analyze", "verify", unit}, "", dir_.file("verify.log"), dir_.file("verify.log"), 60s), 0)
      << said("verify.log");
  EXPECT_EQ(said("verify.log"), "");

  // The installed binary with the installed env.
  std::vector<std::pair<std::string, std::string>> env;
  std::ifstream lines(at("/etc/sshrelay/env"));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.front() == '#' || line.find('=') == std::string::npos) continue;
    const auto name = line.substr(0, line.find('='));
    auto value = line.substr(line.find('=') + 1);
    if (name == "RELAY_WEB_ROOT" || name == "RELAY_AUDIT_JSONL") value = at(value);
    env.emplace_back(name, value);
  }
  fs::create_directories(at("/var/log/sshrelay"));
  testing::RelayDaemon relay;
  relay.start(at("/usr/local/bin/sshrelayd"), {"--metrics-listen", "127.0.0.1:0", "--identity-issuer", "https://127.0.0.1:9"},
              env);
  EXPECT_EQ(http_get(relay.port(), "/healthz").status, 200u);
  const auto page = http_get(relay.port(), "/");
  EXPECT_EQ(page.status, 200u);
  EXPECT_NE(page.body.find("installed page"), std::string::npos) << page.body;
  EXPECT_NE(relay.log_text().find("grace=300s"), std::string::npos) << relay.log_text();
  relay.stop();

  ASSERT_EQ(install({"--uninstall"}, "uninstall.log"), 0) << said("uninstall.log");
  for (const char* gone : {"/usr/local/bin/sshrelayd", "/usr/local/bin/sshrelay", "/usr/local/share/sshrelay",
                           "/usr/local/share/man/man8/sshrelayd.8", "/usr/local/share/man/man1/sshrelay.1",
                           "/etc/systemd/system/sshrelayd.service"}) {
    EXPECT_FALSE(fs::exists(at(gone))) << gone;
  }
  EXPECT_TRUE(fs::exists(at("/etc/sshrelay/env")));
  ASSERT_EQ(install({"--uninstall", "--purge"}, "purge.log"), 0) << said("purge.log");
  EXPECT_FALSE(fs::exists(at("/etc/sshrelay")));
}

TEST_F(InstallTest, RefusesWhatItCannotInstall) {
  EXPECT_EQ(testing::run({"bash", source_tree() + "/deploy/systemd/install.sh", "--destdir", root(), "--bin", dir_.file("nothing")},
                         "", dir_.file("bad.log"), dir_.file("bad.log"), 60s),
            2);
  EXPECT_NE(said("bad.log").find("sshrelayd is missing"), std::string::npos) << said("bad.log");
  EXPECT_EQ(install({"--prefix", "relative"}, "prefix.log"), 2);
  EXPECT_NE(said("prefix.log").find("absolute path"), std::string::npos) << said("prefix.log");
  EXPECT_FALSE(fs::exists(root())) << "nothing is installed after a refusal";
}

}  // namespace
}  // namespace sshrelay::itest
