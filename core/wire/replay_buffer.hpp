#pragma once
// Bytes sent to the peer and not yet acknowledged, addressed by absolute stream offset (mosh's idea:
// keep everything from the last acked point to the last sent; an ack drops the prefix).
// Bytes are held as encoded DATA frames, so the memory handed to the socket is the memory replayed
// after a reconnect: no copy on either path.
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "core/common/fifo.hpp"
#include "core/common/result.hpp"

namespace sshrelay {

// One encoded frame, shared with whoever is writing it, so a write in flight survives an ack.
using FrameBytes = std::shared_ptr<const std::vector<std::uint8_t>>;
// A DATA frame being filled in place: v4::kDataHeaderSize bytes kept for the header, then room for the
// payload (a socket read goes straight there, with no copy into a frame afterwards).
using FrameBuffer = std::shared_ptr<std::vector<std::uint8_t>>;

class ReplayBuffer {
 public:
  std::uint64_t start() const { return start_; }  // first unacknowledged offset
  std::uint64_t end() const { return end_; }      // offset after the last appended byte
  std::size_t size() const { return static_cast<std::size_t>(end_ - start_); }

  // Appends payload as DATA frames of at most kMaxDataPayload bytes.
  void append(std::span<const std::uint8_t> payload);
  // Appends `n` payload bytes that were read straight into `frames`, filling them in order (each up
  // to kMaxDataPayload bytes, the last one possibly in part; frames beyond `n` are left alone). Writes
  // each header and takes the filled frames over (their slots are left empty). A frame filled less
  // than 3/4 is copied into one of its own size instead: a trickle of small reads does not hold a
  // whole frame buffer each, and the memory held stays within 4/3 of the bytes held (what the replay
  // cap and the daemon's budget count). `n` beyond the frames' room is a LocalError (nothing appended).
  Status append_frames(std::span<FrameBuffer> frames, std::size_t n);

  // Drops every byte below `offset`. Requires start() <= offset <= end(); the caller validates
  // peer-supplied values and reports them, so a violation here is a LocalError.
  Status acknowledge(std::uint64_t offset);

  // The DATA frame carrying the bytes from `offset` and the offset following it. An offset inside a
  // stored frame (a peer acked mid-frame) gets a fresh frame. An offset outside [start(), end()) is a
  // LocalError: the bytes are gone (or never were), and reading around them would read freed memory.
  Result<std::pair<FrameBytes, std::uint64_t>> frame_at(std::uint64_t offset) const;

  // The unacknowledged payload, [start(), end()), as one copy (a session handed to another process).
  std::vector<std::uint8_t> payload() const;
  // A buffer holding `payload` from stream offset `start` (the successor's side of payload()).
  static ReplayBuffer holding(std::uint64_t start, std::span<const std::uint8_t> payload);

 private:
  struct Entry {
    std::uint64_t offset;  // stream offset of the frame's first payload byte
    FrameBytes frame;
    std::uint64_t end() const;
  };
  Fifo<Entry> entries_;
  std::uint64_t start_ = 0;
  std::uint64_t end_ = 0;
};

}  // namespace sshrelay
