// sshrelay-gateway's MOSH leg (docs/gateway.md) end to end: the real OpenSSH client on a pseudo-terminal
// → the gateway → mosh-server started over SSH on a throwaway sshd, reached by the real mosh-client over
// UDP on loopback. The client's key is judged by the remote user's own authorized_keys, fetched over SSH
// with the gateway's key (the test gives the remote user a home of its own with sshd's SetEnv).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <random>
#include <regex>
#include <thread>

#include "tests/support/files.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sshd_fixture.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait_until.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace sshrelay::testing {
namespace {

// A program on a pseudo-terminal of its own, as a person runs ssh: what it draws is read from the master
// side, keys are written to it, and a window resize reaches it as SIGWINCH.
class PtyProgram {
 public:
  PtyProgram(const std::vector<std::string>& argv, int cols, int rows) {
    winsize size{};
    size.ws_col = static_cast<unsigned short>(cols);
    size.ws_row = static_cast<unsigned short>(rows);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_ = forkpty(&master_, nullptr, nullptr, &size);
    if (pid_ == 0) {
      execvp(args[0], args.data());
      _exit(127);
    }
    fcntl(master_, F_SETFL, O_NONBLOCK);
  }
  ~PtyProgram() {
    if (pid_ > 0 && !exit_status_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) close(master_);
  }
  void type(const std::string& keys) { (void)!write(master_, keys.data(), keys.size()); }
  void resize(int cols, int rows) {
    winsize size{};
    size.ws_col = static_cast<unsigned short>(cols);
    size.ws_row = static_cast<unsigned short>(rows);
    ioctl(master_, TIOCSWINSZ, &size);
  }
  // Reads until `pattern` is in what was drawn since `from` (bounded by `timeout`).
  bool wait_for(const std::regex& pattern, std::chrono::milliseconds timeout, std::size_t from = 0) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      pump(100);
      if (std::regex_search(screen_.substr(std::min(from, screen_.size())), pattern)) return true;
      if (exited()) return std::regex_search(screen_.substr(std::min(from, screen_.size())), pattern);
    }
    return false;
  }
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!exited() && std::chrono::steady_clock::now() < until) pump(100);
    return exit_status_;
  }
  const std::string& screen() const { return screen_; }

 private:
  void pump(int ms) {
    pollfd p{master_, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0) return;
    char buffer[8192];
    const ssize_t n = read(master_, buffer, sizeof buffer);
    if (n > 0) screen_.append(buffer, static_cast<std::size_t>(n));
  }
  bool exited() {
    if (exit_status_) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      pump(100);  // what it wrote last
    }
    return exit_status_.has_value();
  }

  pid_t pid_ = -1;
  int master_ = -1;
  std::string screen_;
  std::optional<int> exit_status_;
};

class MoshGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/usr/bin/mosh-server", X_OK) != 0 || access("/usr/bin/mosh-client", X_OK) != 0) {
      GTEST_FAIL() << "Debian's mosh is not installed (scripts/setup installs it)";
    }
    home_ = dir_.file("home");
    fs::create_directories(home_ + "/.ssh");
    sshd_.add_config("SetEnv HOME=" + home_ + "\n");
    sshd_.start();
    // The remote host's key, as the gateway's known_hosts lists it.
    known_hosts_ = dir_.file("known_hosts");
    write_file(known_hosts_, "[127.0.0.1]:" + std::to_string(sshd_.port()) + " " + sshd_.host_public_key() + "\n");
    // The person's key, in the remote user's own authorized_keys.
    user_key_ = dir_.file("user_ed25519");
    ASSERT_EQ(run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "person", "-f", user_key_}, "", "", "", 30s), 0);
    write_file(home_ + "/.ssh/authorized_keys", "# the remote user's keys\n" + read_file(user_key_ + ".pub"));
    port_ = pick_free_loopback_port();
  }

  void start_gateway(std::vector<std::pair<std::string, std::string>> env = {}) {
    ProcessIo io;
    io.stdout_path = io.stderr_path = dir_.file("gateway.log");
    io.env = {{"REMOTE_HOST", "127.0.0.1"},
              {"REMOTE_PORT", std::to_string(sshd_.port())},
              {"REMOTE_KNOWN_HOSTS", known_hosts_},
              {"GATEWAY_SSH_KEY_PATH", sshd_.client_key()},
              {"GATEWAY_HOST", "127.0.0.1"},
              {"GATEWAY_PORT", std::to_string(port_)},
              {"GATEWAY_HOST_KEY_PATH", dir_.file("gateway_host_key")},
              {"GATEWAY_AUDIT_JSONL", dir_.file("audit.jsonl")},
              // Debian has C.UTF-8 everywhere; the peer's en_US.UTF-8 may not be generated.
              {"GATEWAY_MOSH_SERVER_COMMAND", "mosh-server new -s -c 256 -l LANG=C.UTF-8"}};
    for (auto& e : env) io.env.push_back(std::move(e));
    gateway_.emplace(std::vector<std::string>{GATEWAY_PATH}, io);
    for (int i = 0; i < 200 && !loopback_port_accepts(port_); ++i) {
      ASSERT_TRUE(gateway_->running()) << log();
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_TRUE(loopback_port_accepts(port_)) << log();
  }

  std::vector<std::string> ssh_argv(const std::string& user, const std::string& key, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {"ssh", "-F", "/dev/null", "-p", std::to_string(port_), "-i", key, "-o", "IdentitiesOnly=yes",
                                     "-o", "IdentityAgent=none", "-o", "StrictHostKeyChecking=no", "-o",
                                     "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(user + "@127.0.0.1");
    return argv;
  }

  std::string log() const { return "\n--- gateway:\n" + file_tail(dir_.file("gateway.log"), 4000); }

  TempDir dir_{"gateway-test"};
  SshdFixture sshd_;
  std::string home_, known_hosts_, user_key_;
  std::uint16_t port_ = 0;
  std::optional<Process> gateway_;
};

TEST_F(MoshGatewayTest, AnInteractiveSessionRunsOverMoshWithTheClientsWindowSize) {
  start_gateway();
  PtyProgram ssh(ssh_argv(sshd_.user(), user_key_, {"-tt"}), 80, 24);
  ASSERT_TRUE(ssh.wait_for(std::regex("Connecting to " + sshd_.user() + "@127\\.0\\.0\\.1:[0-9]+ via MOSH"), 30s)) << ssh.screen() << log();
  // A command typed at the remote shell, its output drawn by mosh.
  std::this_thread::sleep_for(1s);
  ssh.type("echo gw-$((6*7))\r");
  ASSERT_TRUE(ssh.wait_for(std::regex("gw-42"), 30s)) << ssh.screen() << log();
  auto mark = ssh.screen().size();
  ssh.type("stty size\r");
  ASSERT_TRUE(ssh.wait_for(std::regex("24 80"), 30s, mark)) << ssh.screen().substr(mark) << log();
  // The client's window grows: the remote's terminal follows.
  ssh.resize(100, 30);
  std::this_thread::sleep_for(1s);
  mark = ssh.screen().size();
  ssh.type("stty size\r");
  ASSERT_TRUE(ssh.wait_for(std::regex("30 100"), 30s, mark)) << ssh.screen().substr(mark) << log();
  // The remote shell's exit status is the client's, though MOSH does not carry it.
  ssh.type("exit 3\r");
  const auto status = ssh.wait_exit(30s);
  ASSERT_TRUE(status.has_value()) << "ssh did not end after exit" << ssh.screen() << log();
  EXPECT_EQ(*status, 3) << log();
  for (const auto& entry : fs::directory_iterator(home_)) {
    EXPECT_FALSE(entry.path().filename().string().starts_with(".sshrelay-gateway-exit-")) << "left behind: " << entry.path();
  }
  // The gateway writes session.close once its side of the connection is torn down, which may be just
  // after ssh has seen the exit status and ended.
  const auto audit_path = dir_.file("audit.jsonl");
  EXPECT_TRUE(wait_until([&] { return read_file(audit_path).find("\"session.close\"") != std::string::npos; }, 10s))
      << read_file(audit_path) << log();
  EXPECT_NE(read_file(audit_path).find("\"session.start\""), std::string::npos) << read_file(audit_path);
}

}  // namespace
}  // namespace sshrelay::testing

namespace sshrelay::testing {
namespace {

// One `ssh user@gateway true`-like login attempt without a terminal: the exit status of ssh and what it
// said. The MOSH leg refuses exec, so a successful login shows as ssh's "exec request failed", not 255.
struct Attempt {
  int status = -1;
  std::string said;
};

class MoshGatewayAuthTest : public MoshGatewayTest {
 protected:
  Attempt login(const std::string& user, const std::string& key) {
    auto argv = ssh_argv(user, key);
    argv.push_back("true");
    Attempt attempt;
    const auto err = dir_.file("attempt.err");
    attempt.status = run(argv, "", "", err, 60s);
    attempt.said = read_file(err);
    return attempt;
  }
  std::size_t fetches() const {
    const auto text = read_file(dir_.file("gateway.log"));
    std::size_t n = 0;
    for (auto at = text.find("authorized_keys from"); at != std::string::npos; at = text.find("authorized_keys from", at + 1)) ++n;
    return n;
  }
};

TEST_F(MoshGatewayAuthTest, KeysAreJudgedByTheRemoteUsersAuthorizedKeysCachedForTheTtl) {
  start_gateway({{"GATEWAY_AUTHORIZED_KEYS_CACHE_SECONDS", "2"}});
  // Listed in the remote's ~/.ssh/authorized_keys: logged in (then exec is refused: MOSH carries shells).
  auto listed = login(sshd_.user(), user_key_);
  EXPECT_NE(listed.said.find("exec request failed"), std::string::npos) << listed.said << log();
  EXPECT_EQ(fetches(), 1u) << log();
  // Within the TTL the remote is not asked again; after it, it is.
  login(sshd_.user(), user_key_);
  EXPECT_EQ(fetches(), 1u) << log();
  std::this_thread::sleep_for(2100ms);
  login(sshd_.user(), user_key_);
  EXPECT_EQ(fetches(), 2u) << log();

  // A key the remote user does not list.
  const auto foreign = dir_.file("foreign_ed25519");
  ASSERT_EQ(run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "stranger", "-f", foreign}, "", "", "", 30s), 0);
  auto refused = login(sshd_.user(), foreign);
  EXPECT_EQ(refused.status, 255);
  EXPECT_NE(refused.said.find("Permission denied (publickey)"), std::string::npos) << refused.said;

  // A user name outside [a-zA-Z0-9._-]{1,64}: refused at once, the remote never asked.
  const auto before = fetches();
  for (const std::string& bad : {std::string("root;id"), std::string(65, 'a'), std::string("a@b")}) {
    auto attempt = login(bad, user_key_);
    EXPECT_EQ(attempt.status, 255) << bad;
    EXPECT_EQ(attempt.said.find("exec request failed"), std::string::npos) << bad;
  }
  EXPECT_EQ(fetches(), before) << log();
  EXPECT_NE(read_file(dir_.file("gateway.log")).find("invalid user name"), std::string::npos) << log();
}

TEST_F(MoshGatewayAuthTest, AChangedRemoteHostKeyIsRefused) {
  // known_hosts lists another key for the remote: the gateway will not log in there, so no key passes.
  const auto other = dir_.file("other_host");
  ASSERT_EQ(run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other}, "", "", "", 30s), 0);
  const auto other_public = read_file(other + ".pub");
  write_file(known_hosts_, "[127.0.0.1]:" + std::to_string(sshd_.port()) + " " + other_public.substr(0, other_public.rfind(' ')) + "\n");
  start_gateway();
  auto attempt = login(sshd_.user(), user_key_);
  EXPECT_EQ(attempt.status, 255) << attempt.said;
  EXPECT_NE(read_file(dir_.file("gateway.log")).find("has CHANGED"), std::string::npos) << log();
}

TEST_F(MoshGatewayAuthTest, StartupErrorsSayWhatIsWrong) {
  const auto out = dir_.file("startup.out"), err = dir_.file("startup.err");
  // `env -i`: nothing of the test runner's environment; the host key in the test's folder.
  const auto gateway = [&](std::vector<std::string> env, std::vector<std::string> flags) {
    std::vector<std::string> argv = {"env", "-i", "PATH=/usr/bin:/bin", "GATEWAY_HOST_KEY_PATH=" + dir_.file("gateway_host_key")};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back(GATEWAY_PATH);
    argv.insert(argv.end(), flags.begin(), flags.end());
    return run(argv, "", out, err, 30s);
  };
  EXPECT_EQ(gateway({"REMOTE_HOST="}, {}), 2);
  EXPECT_NE(read_file(err).find("REMOTE_HOST (remote_host, --remote-host) is required"), std::string::npos) << read_file(err);
  EXPECT_EQ(gateway({}, {"--remote-host", "127.0.0.1", "--port", "70000"}), 2);
  EXPECT_NE(read_file(err).find("--port: '70000' is not a port"), std::string::npos) << read_file(err);
  // Files that cannot serve: found at startup, not at the first login.
  const std::vector<std::string> listen = {"--remote-host", "127.0.0.1", "--host", "127.0.0.1", "--port", std::to_string(port_)};
  EXPECT_EQ(gateway({"GATEWAY_SSH_KEY_PATH=" + dir_.file("missing_key")}, listen), 1);
  EXPECT_NE(read_file(err).find("cannot read the gateway's SSH key " + dir_.file("missing_key")), std::string::npos) << read_file(err);
  write_file(dir_.file("bad_known_hosts"), "# hosts\n[127.0.0.1]:22 ssh-ed25519\n");
  EXPECT_EQ(gateway({"GATEWAY_SSH_KEY_PATH=" + sshd_.client_key(), "REMOTE_KNOWN_HOSTS=" + dir_.file("bad_known_hosts")}, listen), 1);
  EXPECT_NE(read_file(err).find("bad_known_hosts:2: not a known_hosts line"), std::string::npos) << read_file(err);
}

// Passwords when turned on (ssh's askpass gives the password), and the insecure accept-any mode.
TEST_F(MoshGatewayAuthTest, PasswordsAndAcceptAnyKeyWhenTurnedOn) {
  start_gateway({{"GATEWAY_PASSWORD_AUTH", "yes"}, {"GATEWAY_PASSWORDS", sshd_.user() + ":s3cret pass"}});
  const auto askpass = dir_.file("askpass.sh");
  write_file(askpass, "#!/bin/sh\necho \"$GIVEN\"\n", 0755);
  auto with_password = [&](const std::string& password) {
    std::vector<std::string> argv = {"env", "SSH_ASKPASS=" + askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=none", "GIVEN=" + password,
                                     "setsid", "-w", "ssh", "-F", "/dev/null", "-p", std::to_string(port_), "-o",
                                     "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password", "-o",
                                     "NumberOfPasswordPrompts=1", "-o", "StrictHostKeyChecking=no", "-o",
                                     "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", sshd_.user() + "@127.0.0.1", "true"};
    Attempt attempt;
    attempt.status = run(argv, "", "", dir_.file("pw.err"), 60s);
    attempt.said = read_file(dir_.file("pw.err"));
    return attempt;
  };
  EXPECT_NE(with_password("s3cret pass").said.find("exec request failed"), std::string::npos) << log();
  auto wrong = with_password("s3cret");
  EXPECT_NE(wrong.said.find("Permission denied"), std::string::npos) << wrong.said;
  gateway_->terminate();

  start_gateway({{"GATEWAY_ACCEPT_ANY_KEY", "true"}});
  const auto foreign = dir_.file("any_ed25519");
  ASSERT_EQ(run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", foreign}, "", "", "", 30s), 0);
  EXPECT_NE(login(sshd_.user(), foreign).said.find("exec request failed"), std::string::npos) << log();
  EXPECT_NE(read_file(dir_.file("gateway.log")).find("GATEWAY_ACCEPT_ANY_KEY is on"), std::string::npos) << log();
}

}  // namespace
}  // namespace sshrelay::testing


namespace sshrelay::testing {
namespace {

// A lossy, slow path for UDP (the WAN leg's stand-in): datagrams from mosh-client to 127.0.0.1:port go on
// to 127.0.0.2:port (where mosh-server listens) and the answers come back, each direction dropping a
// share of them (a seeded generator: the same run every time) and delaying the rest.
class LossyUdpPath {
 public:
  LossyUdpPath(std::uint16_t port, double drop, std::chrono::milliseconds delay) : drop_(drop), delay_(delay) {
    front_ = socket(AF_INET, SOCK_DGRAM, 0);
    back_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &at.sin_addr);
    bound_ = bind(front_, reinterpret_cast<sockaddr*>(&at), sizeof at) == 0;
    server_ = at;
    inet_pton(AF_INET, "127.0.0.2", &server_.sin_addr);
    thread_ = std::thread([this] { run(); });
  }
  ~LossyUdpPath() {
    stop_ = true;
    thread_.join();
    close(front_);
    close(back_);
  }
  bool bound() const { return bound_; }
  std::size_t dropped() const { return dropped_; }
  std::size_t passed() const { return passed_; }

 private:
  struct Held {
    std::chrono::steady_clock::time_point due;
    bool to_server;
    std::string bytes;
  };
  void run() {
    std::mt19937 random(20261207);
    std::uniform_real_distribution<double> chance(0.0, 1.0);
    std::deque<Held> held;
    sockaddr_in client{};
    bool have_client = false;
    // Bounded: the test stops it; each round waits at most 10 ms.
    while (!stop_) {
      pollfd fds[2] = {{front_, POLLIN, 0}, {back_, POLLIN, 0}};
      poll(fds, 2, 10);
      char buffer[65536];
      for (int i = 0; i < 2; ++i) {
        if ((fds[i].revents & POLLIN) == 0) continue;
        sockaddr_in from{};
        socklen_t length = sizeof from;
        const ssize_t n = recvfrom(fds[i].fd, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&from), &length);
        if (n <= 0) continue;
        if (i == 0) {
          client = from;
          have_client = true;
        }
        if (chance(random) < drop_) {
          ++dropped_;
          continue;
        }
        held.push_back({std::chrono::steady_clock::now() + delay_, i == 0, std::string(buffer, static_cast<std::size_t>(n))});
      }
      while (!held.empty() && held.front().due <= std::chrono::steady_clock::now()) {
        const auto& h = held.front();
        if (h.to_server) {
          sendto(back_, h.bytes.data(), h.bytes.size(), 0, reinterpret_cast<const sockaddr*>(&server_), sizeof server_);
        } else if (have_client) {
          sendto(front_, h.bytes.data(), h.bytes.size(), 0, reinterpret_cast<const sockaddr*>(&client), sizeof client);
        }
        ++passed_;
        held.pop_front();
      }
    }
  }

  double drop_;
  std::chrono::milliseconds delay_;
  int front_ = -1, back_ = -1;
  bool bound_ = false;
  sockaddr_in server_{};
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> dropped_{0}, passed_{0};
};

TEST_F(MoshGatewayTest, TheSessionStaysUsableWhenTheWanLegLosesAFifthOfItsDatagrams) {
  const auto udp_port = pick_free_loopback_port();  // free on 127.0.0.1 for the path; mosh-server takes 127.0.0.2
  LossyUdpPath path(udp_port, 0.2, 40ms);
  ASSERT_TRUE(path.bound());
  start_gateway({{"GATEWAY_MOSH_SERVER_COMMAND",
                  "mosh-server new -s -c 256 -i 127.0.0.2 -p " + std::to_string(udp_port) + " -l LANG=C.UTF-8"}});
  PtyProgram ssh(ssh_argv(sshd_.user(), user_key_, {"-tt"}), 80, 24);
  ASSERT_TRUE(ssh.wait_for(std::regex("via MOSH"), 30s)) << ssh.screen() << log();
  std::this_thread::sleep_for(1s);
  ssh.type("echo lossy-$((7*6))-ok\r");
  ASSERT_TRUE(ssh.wait_for(std::regex("lossy-42-ok"), 60s)) << ssh.screen() << log();
  const auto mark = ssh.screen().size();
  ssh.type("seq 1 5 | tr '\\n' ,; echo\r");
  ASSERT_TRUE(ssh.wait_for(std::regex("1,2,3,4,5,"), 60s, mark)) << ssh.screen().substr(mark) << log();
  EXPECT_GT(path.dropped(), 0u);
  EXPECT_GT(path.passed(), 0u);
  ssh.type("exit\r");
  const auto status = ssh.wait_exit(60s);
  ASSERT_TRUE(status.has_value()) << ssh.screen() << log();
  EXPECT_EQ(*status, 0);
}

}  // namespace
}  // namespace sshrelay::testing
