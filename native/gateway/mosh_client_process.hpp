#pragma once
// mosh-client (Debian's `mosh`) on a pseudo-terminal of its own, as the gateway's WAN leg: started with
// the remote's address, the UDP port and key mosh-server printed (MOSH_KEY in its environment, never on
// its command line), sized to the client's window. The owner moves bytes between the client's channel
// and master_fd(), and forwards window changes.
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "core/common/result.hpp"

namespace sshrelay::gateway {

class MoshClientProcess {
 public:
  // `address`: an IP literal (mosh-client takes no names; resolve first).
  static Result<MoshClientProcess> start(const std::string& address, std::uint16_t udp_port, const std::string& key,
                                         int cols, int rows);
  MoshClientProcess(MoshClientProcess&& other) noexcept;
  MoshClientProcess& operator=(MoshClientProcess&&) = delete;
  MoshClientProcess(const MoshClientProcess&) = delete;
  ~MoshClientProcess();  // stop()

  int master_fd() const { return master_; }
  void resize(int cols, int rows);
  // SIGTERM, up to 3 s, then SIGKILL (the peer's teardown); the exit status, or -1 if killed. Idempotent.
  int stop();
  // The exit status once it exited by itself (after master_fd() read EOF), waiting at most `wait_ms`.
  int wait_exit(int wait_ms);

 private:
  MoshClientProcess(pid_t pid, int master) : pid_(pid), master_(master) {}
  pid_t pid_ = -1;
  int master_ = -1;
  int status_ = -1;
};

}  // namespace sshrelay::gateway
