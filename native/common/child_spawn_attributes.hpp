#pragma once
// posix_spawn attributes for a child process of ours (the CLI's `--exec` command, sshwebd's MCP server):
// the signals we ignore or handle set back to their defaults in the child (it should not inherit our
// SIGPIPE being ignored), nothing blocked, and a process group of its own, so that a timeout or shutdown
// that kills the group also kills what the child started (`sh -c 'sleep 30'` would leave the sleep).
#include <signal.h>
#include <spawn.h>

#include <initializer_list>

namespace sshrelay::native {

class ChildSpawnAttributes {
 public:
  explicit ChildSpawnAttributes(std::initializer_list<int> defaulted_signals) {
    posix_spawnattr_init(&attr_);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (const int signal : defaulted_signals) sigaddset(&defaults, signal);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr_, &defaults);
    posix_spawnattr_setsigmask(&attr_, &none);
    posix_spawnattr_setpgroup(&attr_, 0);
    posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
  }
  ~ChildSpawnAttributes() { posix_spawnattr_destroy(&attr_); }
  ChildSpawnAttributes(const ChildSpawnAttributes&) = delete;
  ChildSpawnAttributes& operator=(const ChildSpawnAttributes&) = delete;

  const posix_spawnattr_t* get() const { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

}  // namespace sshrelay::native
