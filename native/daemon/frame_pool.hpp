#pragma once
// DATA frame buffers for target reads, kept per I/O thread and reused. A v4 session holds what it sent
// until the client acknowledges it (up to --max-replay-buffer), so a bulk download cycles megabytes of
// 16 KiB frames: allocated fresh, each cost a malloc and, as the heap grew and shrank, page faults on
// first touch (with the copy into the frame, a third of the relay's samples in a profiled download;
// the CPU saved was less, about 6%: docs/performance.md).
// A frame from here is filled by the socket read itself, and comes back here when its last holder
// (the replay buffer, a write in flight) lets go.
#include <cstddef>
#include <memory>
#include <vector>

#include "core/wire/replay_buffer.hpp"
#include "core/wire/v4_frame.hpp"

namespace sshrelay::daemon {

class FramePool {
 public:
  // Spare buffers kept per thread: 4 MiB, the default replay cap's worth. Beyond that they are freed.
  static constexpr std::size_t kMaxSpares = 256;
  // Every buffer is header + the largest DATA payload.
  static constexpr std::size_t kFrameSize = v4::kDataHeaderSize + v4::kMaxDataPayload;

  // A buffer of kFrameSize bytes (contents unspecified) for the calling thread. When its last holder
  // drops it, it returns to that thread's pool (or is freed if the pool is full or gone).
  static FrameBuffer take();
  // Spares held by the calling thread's pool (tests, stats).
  static std::size_t spares();
};

}  // namespace sshrelay::daemon
