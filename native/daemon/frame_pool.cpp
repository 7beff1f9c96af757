#include "native/daemon/frame_pool.hpp"

namespace sshrelay::daemon {
namespace {

using Buffer = std::vector<std::uint8_t>;

// Trivially destructible, so it can still be read while (and after) the thread's pool is destroyed:
// a frame dropped then (a session torn down at exit) is simply freed.
thread_local bool pool_alive = false;

struct Spares {
  Spares() { pool_alive = true; }
  ~Spares() { pool_alive = false; }
  Spares(const Spares&) = delete;
  Spares& operator=(const Spares&) = delete;
  std::vector<std::unique_ptr<Buffer>> buffers;
};

Spares& this_thread_spares() {
  thread_local Spares spares;
  return spares;
}

struct GiveBack {
  void operator()(Buffer* buffer) const {
    std::unique_ptr<Buffer> owned(buffer);
    if (!pool_alive) return;
    auto& spares = this_thread_spares().buffers;
    if (spares.size() < FramePool::kMaxSpares) spares.push_back(std::move(owned));
  }
};

}  // namespace

FrameBuffer FramePool::take() {
  auto& spares = this_thread_spares().buffers;
  std::unique_ptr<Buffer> buffer;
  if (!spares.empty()) {
    buffer = std::move(spares.back());  // the most recently returned: the likeliest to be in cache
    spares.pop_back();
    buffer->resize(kFrameSize);         // a frame trimmed to a short payload grows back
  } else {
    buffer = std::make_unique<Buffer>(kFrameSize);
  }
  return FrameBuffer(buffer.release(), GiveBack{});
}

std::size_t FramePool::spares() { return pool_alive ? this_thread_spares().buffers.size() : 0; }

}  // namespace sshrelay::daemon
