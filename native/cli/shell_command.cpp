#include "native/cli/shell_command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>

#include "native/common/child_spawn_attributes.hpp"

extern char** environ;

namespace sshrelay::cli {
namespace {

constexpr std::size_t kMaxOutput = 1 << 20;
constexpr auto kDrainAfterExit = std::chrono::milliseconds(200);

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "ended with wait status " + std::to_string(status);
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

void ShellCommand::cancel() {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
  if (pid_ > 0) ::kill(-pid_, SIGKILL);
}

Result<std::string> ShellCommand::run(std::chrono::milliseconds timeout) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return local_error(std::string("pipe: ") + std::strerror(errno));
  Fd read_end{pipe_fds[0]};
  Fd write_end{pipe_fds[1]};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, write_end.fd, STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  // Asio opens sockets without close-on-exec: the command must not hold our relay connections (a reset
  // would then not reach the relay) or the --listen socket.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  // Default SIGPIPE (we ignore it); its own process group, so a timeout or shutdown kills what it started.
  const native::ChildSpawnAttributes attr({SIGPIPE});

  std::string sh = "/bin/sh";
  std::string dash_c = "-c";
  char* argv[] = {sh.data(), dash_c.data(), command_.data(), nullptr};
  int spawn_error = 0;
  {
    std::lock_guard lock(mutex_);
    if (cancelled_) {
      spawn_error = ECANCELED;
    } else {
      pid_t pid = -1;
      spawn_error = ::posix_spawn(&pid, "/bin/sh", &actions, attr.get(), argv, environ);
      if (spawn_error == 0) pid_ = pid;
    }
  }
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error == ECANCELED) return local_error("cancelled");
  if (spawn_error != 0) return local_error(std::string("cannot start /bin/sh: ") + std::strerror(spawn_error));
  ::close(write_end.fd);
  write_end.fd = -1;

  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  std::string output;
  bool eof = false;
  bool too_much = false;
  std::optional<int> status;
  std::optional<Clock::time_point> drain_until;
  // Read until EOF, and reap the child as soon as it exits: a background process it left behind may keep
  // the pipe open, so after the exit only what is already there (or arrives very soon) is read.
  while (!eof) {
    const auto now = Clock::now();
    if (!status) {
      int st = 0;
      std::lock_guard lock(mutex_);
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        status = st;
        pid_ = -1;
        drain_until = now + kDrainAfterExit;
      }
    }
    if (drain_until && now >= *drain_until) break;
    if (now >= deadline) break;
    const auto wait = std::min<Clock::duration>(deadline - now, std::chrono::milliseconds(50));
    pollfd p{read_end.fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(wait).count()) + 1);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    char buffer[4096];
    const auto n = ::read(read_end.fd, buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      eof = true;
      break;
    }
    if (output.size() + static_cast<std::size_t>(n) > kMaxOutput) {
      too_much = true;
      break;
    }
    output.append(buffer, static_cast<std::size_t>(n));
  }

  // Reap: wait for the exit until the deadline, then kill.
  bool timed_out = false;
  while (!status) {
    int st = 0;
    std::lock_guard lock(mutex_);
    const bool late = Clock::now() >= deadline || too_much;
    if (late) {
      ::kill(-pid_, SIGKILL);
      timed_out = !too_much;
      if (::waitpid(pid_, &st, 0) == pid_) status = st;
      pid_ = -1;
      break;
    }
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      status = st;
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  bool cancelled = false;
  {
    std::lock_guard lock(mutex_);
    cancelled = cancelled_;
  }
  if (cancelled) return local_error("cancelled");
  if (too_much) return local_error("printed more than 1 MiB");
  if (timed_out) {
    return local_error("did not finish within " +
                       std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) +
                       " s (killed)");
  }
  if (!status) return local_error("could not be waited for");
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) return local_error(describe_status(*status));
  return output;
}

}  // namespace sshrelay::cli
