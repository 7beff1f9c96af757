#pragma once
// Writes all of `bytes` to a channel (libssh's write blocks for the window, in pieces of at most 1 MiB);
// false when the channel failed. For the daemons' blocking connection threads.
#include <libssh/libssh.h>

#include <algorithm>
#include <cstdint>
#include <string_view>

namespace sshrelay::libssh {

inline bool write_all(ssh_channel channel, std::string_view bytes, bool to_stderr = false) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const auto chunk = static_cast<std::uint32_t>(std::min<std::size_t>(bytes.size() - done, 1 << 20));
    const int n = to_stderr ? ssh_channel_write_stderr(channel, bytes.data() + done, chunk)
                            : ssh_channel_write(channel, bytes.data() + done, chunk);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace sshrelay::libssh
