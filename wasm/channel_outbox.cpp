#include "wasm/channel_outbox.hpp"

#include <algorithm>

namespace sshrelay::wasm {
namespace {

constexpr std::size_t kWriteChunk = 64 * 1024;

}  // namespace

void ChannelOutbox::push(std::vector<std::uint8_t> bytes) {
  if (!bytes.empty()) queue_.push_back(std::move(bytes));
}

ChannelOutbox::Written ChannelOutbox::write_to(ssh_channel channel, const std::function<bool()>& gate) {
  Written written = Written::nothing;
  while (!queue_.empty() && (!gate || gate())) {
    const auto& front = queue_.front();
    const std::size_t len = std::min(front.size() - head_, kWriteChunk);
    const int n = ssh_channel_write(channel, front.data() + head_, static_cast<std::uint32_t>(len));
    if (n < 0) return Written::error;
    if (n == 0) break;  // the window is closed; the server's WINDOW_ADJUST reopens it
    head_ += static_cast<std::size_t>(n);
    written = Written::some;
    if (head_ == front.size()) {
      queue_.pop_front();
      head_ = 0;
    }
  }
  return written;
}

}  // namespace sshrelay::wasm
