#pragma once
// The CLI's only voice: one-line messages on stderr, written with a single write(2) each so lines from
// several sessions (listen mode) never interleave. Never stdout: in ProxyCommand mode stdout carries
// nothing but SSH bytes.
#include <mutex>
#include <string_view>

namespace sshrelay::cli {

class Console {
 public:
  // verbose: -v (progress and state); quiet: -q (nothing on success).
  Console(bool verbose, bool quiet) : verbose_(verbose), quiet_(quiet) {}

  bool verbose() const { return verbose_; }
  bool quiet() const { return quiet_; }

  // Always printed: failures and warnings.
  void error(std::string_view line);
  // Outcomes worth a line on success (the relay's close reason), unless -q.
  void info(std::string_view line);
  // Progress and state, only with -v.
  void progress(std::string_view line);

 private:
  void write_line(std::string_view line);

  bool verbose_;
  bool quiet_;
  std::mutex mutex_;
};

}  // namespace sshrelay::cli
