#pragma once
// A command run with pipes on its stdin and stdout, spoken to a line at a time with deadlines: the
// site's MCP server (mcp_client.hpp). Its stderr is ours, so what it complains about lands in sshwebd's
// log. Started without a shell (an argv, looked up in PATH) in a process group of its own, so stopping
// it ends what it started too and a Ctrl-C meant for sshwebd does not reach it first. Not thread-safe:
// its owner serializes.
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/result.hpp"

namespace sshrelay::sshweb {

class StdioProcess {
 public:
  using Clock = std::chrono::steady_clock;

  // Errors: "cannot start 'python3': No such file or directory".
  static Result<std::unique_ptr<StdioProcess>> start(const std::vector<std::string>& argv);
  ~StdioProcess();  // stop(), briefly
  StdioProcess(const StdioProcess&) = delete;
  StdioProcess& operator=(const StdioProcess&) = delete;

  enum class Outcome { done, timeout, closed, too_long };
  // Writes `line` and a '\n'. `closed`: the command no longer reads (it exited).
  Outcome write_line(std::string_view line, Clock::time_point deadline);
  // The next line, without its '\n' (and a '\r' before it). `closed`: its stdout ended; `too_long`: a
  // line passed `max_bytes`.
  Outcome read_line(std::string& line, Clock::time_point deadline, std::size_t max_bytes);

  // Reaps without blocking: false once it has exited.
  bool running();
  // "exited with status 3", "was killed by signal 9", or "closed its output" when it has not exited
  // within `grace` (waited for, so that a status can be told).
  std::string how_it_ended(std::chrono::milliseconds grace);
  // Closes its stdin (a well-behaved server exits on that), waits up to `grace`, then kills the whole
  // process group. Reaps it.
  void stop(std::chrono::milliseconds grace);
  pid_t pid() const { return pid_; }

 private:
  StdioProcess() = default;
  bool reap(bool block);

  pid_t pid_ = -1;
  int stdin_ = -1;   // our end of its stdin
  int stdout_ = -1;  // our end of its stdout
  bool exited_ = false;
  int wait_status_ = 0;
  std::string buffer_;  // read past the last line returned
};

}  // namespace sshrelay::sshweb
