#pragma once
// A child program whose stdin and stdout are pipes the test drives without blocking: for programs that
// speak a protocol on stdio (OpenSSH's sftp-server). Its stderr goes to a file for failure messages.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sshrelay::testing {

struct PipeChildOptions {
  std::string stderr_path;  // empty: /dev/null
  // Run as this user and group (when the test runs as root, so that file permissions apply).
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
};

class PipeChild {
 public:
  // Throws std::runtime_error naming the program if the pipes or the fork fail; an exec failure shows
  // as the child exiting with 127.
  explicit PipeChild(const std::vector<std::string>& argv, PipeChildOptions options = {});
  // Closes the pipes, then SIGKILLs and reaps the child if it is still running.
  ~PipeChild();
  PipeChild(const PipeChild&) = delete;
  PipeChild& operator=(const PipeChild&) = delete;

  // Descriptors (non-blocking) for poll(): write to to_child(), read from from_child().
  int to_child() const { return to_child_; }
  int from_child() const { return from_child_; }
  // Writes what the pipe takes now; returns how much (0 when full or when the child has gone: read_some()
  // then reports the end). Ignores SIGPIPE for the whole process.
  std::size_t write_some(std::span<const std::uint8_t> bytes);
  // Reads what is there now (empty when nothing is); nullopt at end of file (the child closed stdout).
  std::optional<std::vector<std::uint8_t>> read_some();
  void close_stdin();
  void kill();  // SIGKILL and reap: the "connection" breaks
  std::optional<int> wait_for(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  std::optional<int> status_;
};

}  // namespace sshrelay::testing
