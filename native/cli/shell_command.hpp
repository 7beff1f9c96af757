#pragma once
// Runs a user's command through /bin/sh -c and captures its stdout (for --token-cmd). stdin is /dev/null
// (in ProxyCommand mode our stdin is the SSH stream), stderr is inherited (so a login hint from e.g.
// `cloudflared access token` reaches the user), every other descriptor is closed, and SIGPIPE is back to
// its default. Blocking: call it off the event loop.
#include <chrono>
#include <mutex>
#include <string>

#include "core/common/result.hpp"

namespace sshrelay::cli {

class ShellCommand {
 public:
  explicit ShellCommand(std::string command) : command_(std::move(command)) {}

  // Runs to completion; returns what it printed on stdout (at most 1 MiB), or an error saying why not:
  // it could not start, exited non-zero, was killed, ran past `timeout`, or was cancelled.
  Result<std::string> run(std::chrono::milliseconds timeout);

  // Any thread: kills the running command (SIGKILL), if any; run() then fails. Later runs fail at once.
  void cancel();

 private:
  std::string command_;
  std::mutex mutex_;  // guards pid_ and cancelled_ (a pid is only signalled before it is reaped)
  int pid_ = -1;
  bool cancelled_ = false;
};

}  // namespace sshrelay::cli
