#include "tests/support/process.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/env.hpp>
#include <boost/process/environment.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/io.hpp>
#include <boost/process/search_path.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "tests/support/files.hpp"

namespace sshrelay::testing {
namespace bp = boost::process;
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// "e" = O_CLOEXEC: a child started concurrently from another thread must not inherit this parent-side
// descriptor. The child's own copy (dup2'd onto 0/1/2) is not close-on-exec.
FilePtr open_file(const std::string& path, const char* mode, const std::string& command) {
  FilePtr f(std::fopen(path.c_str(), mode));
  if (!f)
    throw std::runtime_error("cannot open " + path + " to redirect " + command + ": " +
                             std::strerror(errno));
  return f;
}

// waitpid status to one number, the shell's way, so callers can tell "exited 1" from "killed by SIGTERM".
int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return status;
}

// In the child, marks every descriptor above stderr close-on-exec, so the program starts with only
// stdin/stdout/stderr. Why not bp::limit_handles: in Boost 1.81 it also closes Boost's own exec-error pipe
// (it collects the handles to keep before that pipe exists), so a failed exec went unreported. Marking
// instead of closing keeps that pipe (already close-on-exec) working, and both calls are
// async-signal-safe, as code between fork and exec must be.
struct MarkInheritedCloseOnExec : bp::extend::handler {
  template <typename Executor>
  void on_exec_setup(Executor&) const {
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
    // Kernels before 5.11 lack the flag: walk the descriptor table instead.
    const long max_fd = std::min(::sysconf(_SC_OPEN_MAX), 65536L);
    for (int fd = 3; fd < max_fd; ++fd) {
      const int flags = ::fcntl(fd, F_GETFD);
      if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    }
  }
};

}  // namespace

struct Process::Impl {
  std::vector<std::string> argv;
  bp::child child;
  std::optional<int> exit_code;

  bool poll() {
    if (exit_code) return false;
    std::error_code ec;
    const bool alive = child.running(ec);
    if (ec)
      throw std::runtime_error("waitpid for " + format_command_line(argv) + " failed: " + ec.message());
    if (!alive) exit_code = decode_status(child.native_exit_code());
    return alive;
  }

  std::optional<int> wait_for(std::chrono::milliseconds timeout) {
    // Polling with a short backoff rather than v1's child::wait_for, which has had timing bugs; a few ms
    // of latency does not matter in tests.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto nap = std::chrono::milliseconds(1);
    while (poll()) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(nap, deadline - now));
      nap = std::min(nap * 2, std::chrono::milliseconds(20));
    }
    return exit_code;
  }

  ~Impl() {
    try {
      if (!poll()) return;
      ::kill(child.id(), SIGKILL);
      if (!wait_for(std::chrono::seconds(10)))
        std::fprintf(stderr, "[sshrelay test support] pid %d survived SIGKILL for 10 s: %s\n",
                     child.id(), format_command_line(argv).c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "[sshrelay test support] reaping %s: %s\n", format_command_line(argv).c_str(),
                   e.what());
    }
    // bp::child's destructor would otherwise block in waitpid on a child we failed to reap.
    if (!exit_code) child.detach();
  }
};

Process::Process(std::vector<std::string> argv, ProcessIo io) : impl_(std::make_unique<Impl>()) {
  if (argv.empty()) throw std::invalid_argument("Process: empty argv");
  impl_->argv = std::move(argv);
  const std::vector<std::string>& args = impl_->argv;
  const std::string command = format_command_line(args);

  boost::filesystem::path exe = args[0];
  if (args[0].find('/') == std::string::npos) {
    exe = bp::search_path(args[0]);
    if (exe.empty()) throw std::runtime_error("cannot start " + command + ": not found in PATH");
  }

  const FilePtr in = open_file(io.stdin_path.empty() ? "/dev/null" : io.stdin_path, "rbe", command);
  FilePtr out_file;
  FilePtr err_file;
  std::FILE* out = stdout;
  std::FILE* err = stderr;
  if (!io.stdout_path.empty()) {
    out_file = open_file(io.stdout_path, "wbe", command);
    out = out_file.get();
  }
  if (!io.stderr_path.empty()) {
    if (io.stderr_path == io.stdout_path) {
      err = out;  // two opens would each truncate and overwrite the other's bytes
    } else {
      err_file = open_file(io.stderr_path, "wbe", command);
      err = err_file.get();
    }
  }

  bp::environment env = boost::this_process::environment();
  for (const auto& [name, value] : io.env) env[name] = value;

  // Whatever is buffered in our stdio would otherwise interleave oddly with the child's inherited output.
  std::fflush(stdout);
  std::fflush(stderr);
  try {
    impl_->child = bp::child(bp::exe = exe, bp::args = std::vector<std::string>(args.begin() + 1, args.end()),
                             bp::std_in < in.get(), bp::std_out > out, bp::std_err > err, env,
                             MarkInheritedCloseOnExec{});
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot start " + command + ": " + e.what());
  }
}

Process::~Process() = default;
Process::Process(Process&&) noexcept = default;
Process& Process::operator=(Process&&) noexcept = default;

int Process::pid() const { return impl_->child.id(); }

const std::vector<std::string>& Process::argv() const { return impl_->argv; }

std::string Process::command_line() const { return format_command_line(impl_->argv); }

bool Process::running() { return impl_->poll(); }

std::optional<int> Process::exit_code() const { return impl_->exit_code; }

std::optional<int> Process::wait_for(std::chrono::milliseconds timeout) {
  return impl_->wait_for(timeout);
}

int Process::terminate(int signal, std::chrono::milliseconds grace) {
  if (!impl_->poll()) return *impl_->exit_code;
  ::kill(impl_->child.id(), signal);  // ESRCH only if it just exited: the wait below reaps it
  if (auto code = impl_->wait_for(grace)) return *code;
  ::kill(impl_->child.id(), SIGKILL);
  if (auto code = impl_->wait_for(std::chrono::seconds(10))) return *code;
  throw std::runtime_error("pid " + std::to_string(pid()) + " still running 10 s after SIGKILL: " +
                           command_line());
}

void Process::send_signal(int signal) {
  if (impl_->poll() && ::kill(impl_->child.id(), signal) != 0 && errno != ESRCH)
    throw std::runtime_error("kill(" + std::to_string(pid()) + ", " + std::to_string(signal) +
                             ") failed: " + std::strerror(errno));
}

int run(const std::vector<std::string>& argv, const std::string& stdin_path,
        const std::string& stdout_path, const std::string& stderr_path,
        std::chrono::milliseconds timeout) {
  Process process(argv, ProcessIo{stdin_path, stdout_path, stderr_path, {}});
  if (auto code = process.wait_for(timeout)) return *code;
  process.terminate(SIGKILL, std::chrono::milliseconds(0));
  throw std::runtime_error(
      "timed out after " + std::to_string(timeout.count()) + " ms: " + format_command_line(argv) +
      (stderr_path.empty() ? std::string("\n(stderr was not redirected)")
                           : "\nstderr tail (" + stderr_path + "):\n" + file_tail(stderr_path)));
}

std::string format_command_line(const std::vector<std::string>& argv) {
  std::string line;
  for (const std::string& word : argv) {
    if (!line.empty()) line += ' ';
    const bool plain = !word.empty() && word.find_first_not_of(
                                            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                            "0123456789_./=:@%+,-") == std::string::npos;
    if (plain) {
      line += word;
      continue;
    }
    line += '\'';
    for (char c : word) {
      if (c == '\'')
        line += "'\\''";
      else
        line += c;
    }
    line += '\'';
  }
  return line;
}

}  // namespace sshrelay::testing
