// The statically linked sshrelayd and sshrelay (`make static`) in an empty root, as deploy/Dockerfile's
// FROM-scratch stage gives them: the root is assembled from that stage's own COPY lines (the build stage's
// WORKDIR is this source tree), the relay runs with its ENV, USER and ENTRYPOINT under chroot, serves
// /healthz and the page, and relays a real ssh session whose ProxyCommand is the static `sshrelay`, itself
// chrooted into a root holding nothing but that binary. A dynamically linked binary cannot start there
// (there is no loader), so this is also the check that both really are static.
//
// Runs when SSHRELAY_TEST_STATIC=1 (`make test-static`, part of `make test`, after `make static site`);
// otherwise it skips saying so. chroot needs root, as CI has. Where a Docker daemon answers, the image itself
// is built and run too.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/harness.hpp"
#include "tests/support/files.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/process.hpp"
#include "tests/support/relay_daemon.hpp"
#include "tests/support/sshd_fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::itest {
namespace {

namespace fs = std::filesystem;
using testing::RelayDaemon;
using testing::SshdFixture;
using testing::TempDir;

// What the Dockerfile's last stage says, with the build stage's paths moved into this source tree.
struct ScratchStage {
  std::vector<std::pair<std::string, std::string>> copies;  // host path -> path in the root
  std::vector<std::pair<std::string, std::string>> env;
  std::string user;                                         // "uid:gid"
  std::vector<std::string> entrypoint;
  std::vector<std::string> unknown;                         // instructions this test cannot reproduce
};

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

ScratchStage read_scratch_stage(const std::string& dockerfile) {
  std::ifstream in(dockerfile);
  std::map<std::string, std::string> workdir_of;  // stage name -> WORKDIR
  std::string stage;
  ScratchStage last;
  bool in_scratch = false;
  for (std::string line; std::getline(in, line);) {
    const auto w = words(line);
    if (w.empty() || w[0].front() == '#') continue;
    if (w[0] == "FROM") {
      in_scratch = w.size() >= 2 && w[1] == "scratch";
      stage = w.size() >= 4 && w[2] == "AS" ? w[3] : "";
      last = {};
      continue;
    }
    if (w[0] == "WORKDIR" && w.size() == 2) workdir_of[stage] = w[1];
    if (!in_scratch) continue;
    if (w[0] == "COPY" && w.size() == 4 && w[1].rfind("--from=", 0) == 0) {
      std::string from = w[2];
      const auto workdir = workdir_of[w[1].substr(7)];
      if (!workdir.empty() && from.rfind(workdir + "/", 0) == 0) from = source_tree() + from.substr(workdir.size());
      last.copies.emplace_back(from, w[3]);
    } else if (w[0] == "ENV") {
      for (std::size_t i = 1; i < w.size(); ++i) {
        const auto eq = w[i].find('=');
        if (eq != std::string::npos) last.env.emplace_back(w[i].substr(0, eq), w[i].substr(eq + 1));
      }
    } else if (w[0] == "USER" && w.size() == 2) {
      last.user = w[1];
    } else if (w[0] == "ENTRYPOINT") {
      const auto j = nlohmann::json::parse(line.substr(line.find('[')), nullptr, false);
      if (j.is_array()) last.entrypoint = j.get<std::vector<std::string>>();
    } else if (w[0] != "EXPOSE") {
      last.unknown.push_back(line);
    }
  }
  return in_scratch ? last : ScratchStage{};
}

void copy_into(const std::string& from, const std::string& root, const std::string& to) {
  const fs::path target = fs::path(root) / fs::path(to).relative_path();
  fs::create_directories(target.parent_path());
  fs::copy(from, target, fs::copy_options::recursive);
}

class StaticImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* on = std::getenv("SSHRELAY_TEST_STATIC");
    if (!on || std::string(on) != "1") {
      GTEST_SKIP() << "SSHRELAY_TEST_STATIC is not 1: `make test-static` (part of `make test`) builds the static "
                      "binaries and the site, then runs this";
    }
    if (::geteuid() != 0) GTEST_SKIP() << "chroot needs root";
  }

  std::string static_binary(const std::string& name) const { return source_tree() + "/build/native-static/native/" + name; }

  TempDir dir_{"sshrelay-static"};
};

TEST_F(StaticImageTest, TheScratchStageServesAndRelaysFromAnEmptyRoot) {
  const auto stage = read_scratch_stage(source_tree() + "/deploy/Dockerfile");
  ASSERT_FALSE(stage.entrypoint.empty()) << "deploy/Dockerfile has no FROM scratch stage with an ENTRYPOINT";
  EXPECT_TRUE(stage.unknown.empty()) << "instructions this test does not reproduce: " << stage.unknown.front();
  ASSERT_FALSE(stage.user.empty()) << "the image should not run as root";

  // The image's root, exactly as the stage fills it, plus the one directory the test needs to learn the
  // port (the ready file), writable by the image's user.
  const auto root = dir_.file("image");
  fs::create_directories(root);
  for (const auto& [from, to] : stage.copies) {
    ASSERT_TRUE(fs::exists(from)) << from << " is missing: run `make static site` first";
    copy_into(from, root, to);
  }
  fs::create_directories(root + "/run");
  ASSERT_EQ(testing::run({"chown", stage.user, root + "/run"}, "", dir_.file("chown.log"), dir_.file("chown.log"), 30s), 0);

  // RelayDaemon passes `--listen 127.0.0.1:0 --ready-file PATH ...`: inside the root the ready file is
  // /run/ready.json, and PATH becomes a link to it. The daemon is exec'd, so its pid is the wrapper's.
  const auto wrapper = dir_.file("in-image.sh");
  std::string entry;
  for (const auto& word : stage.entrypoint) entry += " " + testing::format_command_line({word});
  testing::write_file(wrapper,
                      "#!/bin/bash\n"
                      "args=()\n"
                      "while [ $# -gt 0 ]; do\n"
                      "  if [ \"$1\" = --ready-file ]; then ln -sf '" + root + "/run/ready.json' \"$2\"; args+=(--ready-file /run/ready.json); shift 2\n"
                      "  else args+=(\"$1\"); shift; fi\n"
                      "done\n"
                      "exec chroot --userspec=" + stage.user + " '" + root + "'" + entry + " \"${args[@]}\"\n",
                      0755);

  SshdFixture sshd;
  sshd.start();
  RelayDaemon relay;
  relay.start(wrapper, {"--unsafe-allow-loopback"}, stage.env);
  EXPECT_EQ(http_get(relay.port(), "/healthz").status, 200u) << relay.log_text();
  const auto page = http_get(relay.port(), "/");
  EXPECT_EQ(page.status, 200u);
  EXPECT_NE(page.body.find("<title>sshrelay"), std::string::npos) << "the image's web root should be the site";

  // The CLI in a root of its own: nothing but the binary (no /etc, no HOME).
  const auto cli_root = dir_.file("cli");
  fs::create_directories(cli_root);
  fs::copy(static_binary("sshrelay"), cli_root + "/sshrelay");
  const std::vector<std::string> proxy = {"chroot", "--userspec=" + stage.user, cli_root, "/sshrelay", "proxy", "--relay",
                                          "ws://127.0.0.1:" + std::to_string(relay.port()), "-l", sshd.user(), "%h", "%p"};
  const auto out = dir_.file("ssh.out");
  const auto err = dir_.file("ssh.err");
  const auto argv = sshd.ssh_argv(sshd.port(), {"-o", "ProxyCommand=" + testing::format_command_line(proxy), "-o", "LogLevel=ERROR"},
                                  "echo relayed-from-an-empty-root; head -c 4194304 /dev/zero | sha256sum");
  ASSERT_EQ(testing::run(argv, "", out, err, 120s), 0)
      << testing::file_tail(err, 4000) << "\n--- relay:\n" << relay.log_text();
  const auto said = testing::read_file(out);
  EXPECT_NE(said.find("relayed-from-an-empty-root"), std::string::npos) << said;
  // sha256 of 4 MiB of zeros: the bytes went through whole.
  EXPECT_NE(said.find("bb9f8df61474d25e71fa00722318cd387396ca1736605e1248821cc0de3d3af8"), std::string::npos) << said;
  EXPECT_EQ(relay.stop(), 0) << relay.log_text();
}

// The image itself, where a Docker daemon answers (CI machines without one skip, saying so).
TEST_F(StaticImageTest, TheDockerImageBuildsAndAnswers) {
  if (testing::run({"sh", "-c", "command -v docker && docker info"}, "", dir_.file("docker.out"), dir_.file("docker.err"), 60s) != 0) {
    GTEST_SKIP() << "no Docker daemon here (`docker info` failed): the image's root is checked by "
                    "TheScratchStageServesAndRelaysFromAnEmptyRoot instead";
  }
  const auto tag = "sshrelayd-test:" + std::to_string(::getpid());
  ASSERT_EQ(testing::run({"docker", "build", "-f", source_tree() + "/deploy/Dockerfile", "-t", tag, source_tree()}, "",
                         dir_.file("build.log"), dir_.file("build.log"), 3600s),
            0)
      << testing::file_tail(dir_.file("build.log"), 4000);
  const auto port = testing::pick_free_loopback_port();
  const auto name = "sshrelayd-test-" + std::to_string(::getpid());
  ASSERT_EQ(testing::run({"docker", "run", "-d", "--rm", "--name", name, "-p", "127.0.0.1:" + std::to_string(port) + ":8080", tag,
                          "--identity-provider=none", "--identity-upstream-enforces-auth"},
                         "", dir_.file("run.out"), dir_.file("run.err"), 120s),
            0)
      << testing::read_file(dir_.file("run.err"));
  const bool healthy = wait_until([&] { return http_get(port, "/healthz", 2s).status == 200u; }, 60s);
  testing::run({"docker", "rm", "-f", name}, "", dir_.file("rm.out"), dir_.file("rm.err"), 60s);
  testing::run({"docker", "rmi", "-f", tag}, "", dir_.file("rmi.out"), dir_.file("rmi.err"), 60s);
  EXPECT_TRUE(healthy) << "the container never answered /healthz on 127.0.0.1:" << port;
}

}  // namespace
}  // namespace sshrelay::itest
