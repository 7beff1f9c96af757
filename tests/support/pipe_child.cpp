#include "tests/support/pipe_child.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace sshrelay::testing {
namespace {

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

std::runtime_error system_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

PipeChild::PipeChild(const std::vector<std::string>& argv, PipeChildOptions options) {
  if (argv.empty()) throw std::invalid_argument("PipeChild: empty argv");
  // A write to a child that has exited must fail with EPIPE, not kill the test runner.
  ::signal(SIGPIPE, SIG_IGN);
  int in[2];
  int out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) throw system_error("pipe for " + argv[0]);
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    throw system_error("pipe for " + argv[0]);
  }
  const int err = ::open(options.stderr_path.empty() ? "/dev/null" : options.stderr_path.c_str(),
                         O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    // Only async-signal-safe calls from here to exec.
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    if (err >= 0) ::dup2(err, 2);
    if (options.gid && ::setgid(*options.gid) != 0) ::_exit(126);
    if (options.uid && ::setuid(*options.uid) != 0) ::_exit(126);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  const int fork_errno = errno;
  ::close(in[0]);
  ::close(out[1]);
  if (err >= 0) ::close(err);
  to_child_ = in[1];
  from_child_ = out[0];
  if (pid_ < 0) {
    errno = fork_errno;
    throw system_error("fork for " + argv[0]);
  }
  set_nonblocking(to_child_);
  set_nonblocking(from_child_);
}

PipeChild::~PipeChild() {
  close_stdin();
  if (from_child_ >= 0) ::close(from_child_);
  kill();
}

std::size_t PipeChild::write_some(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return 0;
  const ssize_t n = ::write(to_child_, bytes.data(), bytes.size());
  if (n >= 0) return static_cast<std::size_t>(n);
  // EPIPE: the child is gone or closed its stdin; read_some() reports the end.
  if (errno == EAGAIN || errno == EPIPE) return 0;
  throw system_error("writing to the child");
}

std::optional<std::vector<std::uint8_t>> PipeChild::read_some() {
  std::vector<std::uint8_t> buffer(256 * 1024);
  const ssize_t n = ::read(from_child_, buffer.data(), buffer.size());
  if (n > 0) {
    buffer.resize(static_cast<std::size_t>(n));
    return buffer;
  }
  if (n == 0) return std::nullopt;
  if (errno == EAGAIN || errno == EINTR) return std::vector<std::uint8_t>{};
  return std::nullopt;
}

void PipeChild::close_stdin() {
  if (to_child_ >= 0) ::close(to_child_);
  to_child_ = -1;
}

void PipeChild::kill() {
  if (pid_ <= 0 || status_) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  if (::waitpid(pid_, &status, 0) == pid_) status_ = status;
}

std::optional<int> PipeChild::wait_for(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!status_) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      status_ = status;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return WIFEXITED(*status_) ? WEXITSTATUS(*status_) : 128 + WTERMSIG(*status_);
}

}  // namespace sshrelay::testing
