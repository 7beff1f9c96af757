#pragma once
// sshrelayd as a real subprocess, so integration tests exercise the shipped binary: argument parsing,
// signal handling, exit codes, memory use.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::testing {

class RelayDaemon {
 public:
  RelayDaemon() = default;
  // Stops the daemon (stop()'s default grace) if still running, then removes its directory.
  ~RelayDaemon();
  RelayDaemon(const RelayDaemon&) = delete;
  RelayDaemon& operator=(const RelayDaemon&) = delete;

  // Runs `<binary> --listen 127.0.0.1:0 --ready-file <dir>/ready.json <extra_args...>` with stdout and
  // stderr in <dir>/relayd.log and `env` added to its environment, then waits (at most 60 s) until the
  // ready file holds {"listen":["127.0.0.1:PORT", ...]}. Throws std::runtime_error with the log tail if
  // the daemon exits first or the wait times out (the daemon is killed then). Call once.
  // Unless extra_args or env choose an identity provider (or --dev), the daemon runs with
  // `--identity-provider=none --identity-upstream-enforces-auth`: most tests are not about identity.
  void start(const std::string& binary, std::vector<std::string> extra_args,
             std::vector<std::pair<std::string, std::string>> env = {});

  // SIGTERM, then SIGKILL if still running after `grace`. Returns the exit code (128 + signal when a
  // signal ended it, so 137 means the graceful shutdown did not finish). Idempotent: later calls return
  // the same code. The default grace is well beyond the daemon's own --shutdown-seconds (5 by default),
  // so a slow but graceful shutdown on a loaded machine is not cut short; it costs nothing when the
  // daemon exits promptly.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(30));
  bool running();

  // The first address in the ready file.
  std::uint16_t port() const { return port_; }
  // Every "host:port" from the ready file, as written.
  const std::vector<std::string>& listen_addresses() const { return listen_; }
  int pid() const;
  // A scratch directory owned by this daemon: put config files here.
  const std::string& dir() const { return dir_path_; }
  const std::string& log_path() const { return log_path_; }
  // Whole log so far (the daemon may still be writing).
  std::string log_text() const;
  // VmRSS from /proc/<pid>/status, in KiB. Throws std::runtime_error if the process is gone.
  std::uint64_t rss_kib() const;

 private:
  std::optional<TempDir> dir_;
  std::optional<Process> process_;
  std::optional<int> exit_code_;
  std::vector<std::string> listen_;
  std::uint16_t port_ = 0;
  std::string dir_path_;
  std::string log_path_;
};

}  // namespace sshrelay::testing
