#include "native/sshweb/stdio_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "native/common/child_spawn_attributes.hpp"

extern char** environ;

namespace sshrelay::sshweb {
namespace {

// Milliseconds left until `deadline` for poll(), at least 0 and at most a second at a time (so a
// signal-free wait still notices a deadline on time).
int poll_timeout(StdioProcess::Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - StdioProcess::Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1000));
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

Result<std::unique_ptr<StdioProcess>> StdioProcess::start(const std::vector<std::string>& argv) {
  if (argv.empty()) return local_error("the command is empty");
  int to_child[2];
  int from_child[2];
  if (::pipe2(to_child, O_CLOEXEC) != 0) return local_error(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(from_child, O_CLOEXEC) != 0) {
    const int error = errno;
    ::close(to_child[0]);
    ::close(to_child[1]);
    return local_error(std::string("pipe: ") + std::strerror(error));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
  // Not our listening sockets, the audit file or other connections: only stdin, stdout and stderr.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  // SIGPIPE is ignored by sshwebd and SIGINT/SIGTERM handled: the server gets the defaults back.
  const native::ChildSpawnAttributes attr({SIGPIPE, SIGINT, SIGTERM});
  std::vector<char*> args;
  for (const auto& word : argv) args.push_back(const_cast<char*>(word.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int error = ::posix_spawnp(&pid, argv[0].c_str(), &actions, attr.get(), args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(to_child[0]);
  ::close(from_child[1]);
  if (error != 0) {
    ::close(to_child[1]);
    ::close(from_child[0]);
    return local_error("cannot start '" + argv[0] + "': " + std::strerror(error));
  }
  std::unique_ptr<StdioProcess> process(new StdioProcess());
  process->pid_ = pid;
  process->stdin_ = to_child[1];
  process->stdout_ = from_child[0];
  ::fcntl(process->stdin_, F_SETFL, ::fcntl(process->stdin_, F_GETFL) | O_NONBLOCK);
  ::fcntl(process->stdout_, F_SETFL, ::fcntl(process->stdout_, F_GETFL) | O_NONBLOCK);
  return process;
}

StdioProcess::~StdioProcess() { stop(std::chrono::milliseconds(500)); }

StdioProcess::Outcome StdioProcess::write_line(std::string_view line, Clock::time_point deadline) {
  std::string bytes(line);
  bytes += '\n';
  std::size_t done = 0;
  while (done < bytes.size()) {
    if (stdin_ < 0) return Outcome::closed;
    const auto n = ::write(stdin_, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EPIPE) return Outcome::closed;
    if (n < 0 && errno != EAGAIN && errno != EINTR) return Outcome::closed;
    if (Clock::now() >= deadline) return Outcome::timeout;
    pollfd p{stdin_, POLLOUT, 0};
    ::poll(&p, 1, poll_timeout(deadline));
  }
  return Outcome::done;
}

StdioProcess::Outcome StdioProcess::read_line(std::string& line, Clock::time_point deadline, std::size_t max_bytes) {
  while (true) {
    if (const auto end = buffer_.find('\n'); end != std::string::npos) {
      line = buffer_.substr(0, end);
      buffer_.erase(0, end + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return Outcome::done;
    }
    if (buffer_.size() > max_bytes) return Outcome::too_long;
    if (stdout_ < 0) return Outcome::closed;
    char chunk[16 * 1024];
    const auto n = ::read(stdout_, chunk, sizeof chunk);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) return Outcome::closed;
    if (Clock::now() >= deadline) return Outcome::timeout;
    pollfd p{stdout_, POLLIN, 0};
    ::poll(&p, 1, poll_timeout(deadline));
  }
}

bool StdioProcess::reap(bool block) {
  if (exited_ || pid_ <= 0) return true;
  int status = 0;
  const pid_t done = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  if (done == pid_ || (done < 0 && errno == ECHILD)) {
    exited_ = true;
    wait_status_ = status;
  }
  return exited_;
}

bool StdioProcess::running() { return !reap(false); }

std::string StdioProcess::how_it_ended(std::chrono::milliseconds grace) {
  const auto until = Clock::now() + grace;
  while (!reap(false) && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (!exited_) return "closed its output";
  if (WIFEXITED(wait_status_)) return "exited with status " + std::to_string(WEXITSTATUS(wait_status_));
  if (WIFSIGNALED(wait_status_)) return "was killed by signal " + std::to_string(WTERMSIG(wait_status_));
  return "ended";
}

void StdioProcess::stop(std::chrono::milliseconds grace) {
  close_fd(stdin_);
  const auto until = Clock::now() + grace;
  while (!reap(false) && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (pid_ > 0) {
    // The group too: whatever it started goes with it (and holds no pipe of ours open).
    ::kill(-pid_, SIGKILL);
    if (!exited_) ::kill(pid_, SIGKILL);
    reap(true);
    pid_ = -1;  // reaped: the number may be another process's now
  }
  close_fd(stdout_);
}

}  // namespace sshrelay::sshweb
