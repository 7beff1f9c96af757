#pragma once
// Subprocesses for tests (sshd, ssh, sshrelayd, the CLI), over Boost.Process v1. Every wait takes a
// timeout, so a hung child fails the test with a message instead of hanging ctest.

#include <signal.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sshrelay::testing {

struct ProcessIo {
  // Empty: /dev/null, so a child never reads (or blocks on) the test runner's own stdin.
  std::string stdin_path;
  // Empty: inherited. The same path for both streams is opened once and shared, giving one combined log.
  std::string stdout_path;
  std::string stderr_path;
  // Added to (or overriding) the inherited environment.
  std::vector<std::pair<std::string, std::string>> env;
};

// One running child. Not thread-safe: drive it from one thread. The child keeps only stdin, stdout and
// stderr: every other descriptor (proxy sockets, other logs) is closed in it, because an inherited socket
// would keep a connection open after the test closed or cut it.
class Process {
 public:
  // argv[0] without a '/' is looked up in PATH. Throws std::runtime_error with the command line if the
  // program cannot be found or started, or a redirect file cannot be opened.
  explicit Process(std::vector<std::string> argv, ProcessIo io = {});
  // Kills (SIGKILL) and reaps a child that is still running, so no test leaves a process behind.
  ~Process();

  Process(Process&&) noexcept;
  Process& operator=(Process&&) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  int pid() const;
  const std::vector<std::string>& argv() const;
  std::string command_line() const;

  // Reaps without blocking: true until the child has exited.
  bool running();
  // Exit code once exited (see wait_for), else nullopt. Does not block.
  std::optional<int> exit_code() const;

  // Waits up to `timeout`. Returns the exit status, or 128 + signal number if a signal killed the child
  // (the shell's convention); nullopt if it is still running at the deadline.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);

  // Sends `signal`; if the child has not exited after `grace`, sends SIGKILL. Returns the exit code as
  // wait_for does (137 after SIGKILL). Throws if even SIGKILL does not end it within 10 s.
  int terminate(int signal = SIGTERM, std::chrono::milliseconds grace = std::chrono::seconds(5));

  // Sends a signal without waiting (e.g. SIGSTOP to simulate a frozen peer).
  void send_signal(int signal);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs a program to completion. Empty paths as in ProcessIo. Returns the exit code as Process::wait_for
// does. On timeout kills the child and throws std::runtime_error naming the command line, the timeout
// and the tail of stderr_path.
int run(const std::vector<std::string>& argv, const std::string& stdin_path,
        const std::string& stdout_path, const std::string& stderr_path,
        std::chrono::milliseconds timeout);

// argv joined for messages, each word single-quoted when it holds anything a shell would interpret.
std::string format_command_line(const std::vector<std::string>& argv);

}  // namespace sshrelay::testing
