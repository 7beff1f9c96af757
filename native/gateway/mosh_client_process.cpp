#include "native/gateway/mosh_client_process.hpp"

#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace sshrelay::gateway {
namespace {

winsize window(int cols, int rows) {
  winsize size{};
  size.ws_col = static_cast<unsigned short>(cols > 0 ? cols : 80);
  size.ws_row = static_cast<unsigned short>(rows > 0 ? rows : 24);
  return size;
}

int decoded(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

}  // namespace

Result<MoshClientProcess> MoshClientProcess::start(const std::string& address, std::uint16_t udp_port,
                                                   const std::string& key, int cols, int rows) {
  // Everything the child needs is prepared before fork(): after it, only async-signal-safe calls.
  const std::string port = std::to_string(udp_port);
  std::vector<std::string> env_text;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (entry.starts_with("MOSH_KEY=") || entry.starts_with("TERM=") || entry.starts_with("LANG=") ||
        entry.starts_with("LC_ALL=") || entry.starts_with("COLORTERM=") || entry.starts_with("MOSH_PREDICTION_DISPLAY=")) {
      continue;
    }
    env_text.emplace_back(entry);
  }
  // mosh-client refuses to run without a UTF-8 locale; C.UTF-8 is always there on Debian.
  for (const std::string& extra : {"MOSH_KEY=" + key, std::string("TERM=xterm-256color"), std::string("LANG=C.UTF-8"),
                                  std::string("MOSH_PREDICTION_DISPLAY=adaptive"), std::string("COLORTERM=truecolor")}) {
    env_text.push_back(extra);
  }
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string program = "mosh-client";
  std::string host = address;
  std::string port_arg = port;
  char* argv[] = {program.data(), host.data(), port_arg.data(), nullptr};

  int master = -1;
  winsize size = window(cols, rows);
  const pid_t pid = forkpty(&master, nullptr, nullptr, &size);
  if (pid < 0) return local_error(std::string("cannot start mosh-client on a pseudo-terminal: ") + std::strerror(errno));
  if (pid == 0) {
    // The child: its own session with the pty as controlling terminal (forkpty did both).
    signal(SIGPIPE, SIG_DFL);
    closefrom(STDERR_FILENO + 1);
    execvpe("mosh-client", argv, envp.data());
    const char message[] = "mosh-client could not be started (is Debian's mosh installed?)\r\n";
    (void)!write(STDERR_FILENO, message, sizeof message - 1);
    _exit(127);
  }
  fcntl(master, F_SETFD, FD_CLOEXEC);
  return MoshClientProcess(pid, master);
}

MoshClientProcess::MoshClientProcess(MoshClientProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), master_(std::exchange(other.master_, -1)), status_(other.status_) {}

MoshClientProcess::~MoshClientProcess() {
  stop();
  if (master_ >= 0) ::close(master_);
}

void MoshClientProcess::resize(int cols, int rows) {
  if (master_ < 0) return;
  const winsize size = window(cols, rows);
  ioctl(master_, TIOCSWINSZ, &size);
  if (pid_ > 0) kill(pid_, SIGWINCH);
}

int MoshClientProcess::wait_exit(int wait_ms) {
  for (int waited = 0; pid_ > 0; waited += 20) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      status_ = decoded(status);
      break;
    }
    if (waited >= wait_ms) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return status_;
}

int MoshClientProcess::stop() {
  if (pid_ <= 0) return status_;
  kill(pid_, SIGTERM);
  if (wait_exit(3000) == -1 && pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    status_ = -1;
  }
  return status_;
}

}  // namespace sshrelay::gateway
