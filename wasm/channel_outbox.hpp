#pragma once
// Bytes waiting for an SSH channel's window (the SFTP channel's requests, a forwarded connection's
// bytes), kept as the owner produced them (no copy to join them) and written in order as far as the
// window and the relay's gate let them. Non-blocking: a closed window just leaves them queued.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include <libssh/libssh.h>

namespace sshrelay::wasm {

class ChannelOutbox {
 public:
  void push(std::vector<std::uint8_t> bytes);
  bool empty() const { return queue_.empty(); }

  enum class Written { nothing, some, error };
  // `gate` is asked before each write (false: the relay's replay cap is full). On `error`,
  // ssh_get_error() of the session says why.
  Written write_to(ssh_channel channel, const std::function<bool()>& gate);

 private:
  std::deque<std::vector<std::uint8_t>> queue_;
  std::size_t head_ = 0;  // how much of the front one was written
};

}  // namespace sshrelay::wasm
