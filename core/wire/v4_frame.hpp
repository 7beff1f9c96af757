#pragma once
// corp-relay-v4 frames (design.md §2): one frame per binary WebSocket message (several where the client
// asked for packFrames, v4_url.hpp), big-endian, u16 tag first.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/common/result.hpp"

namespace sshrelay::v4 {

inline constexpr std::size_t kMaxDataPayload = 16384;   // both directions; the extension's limit
inline constexpr std::size_t kMaxSessionIdLength = 128;  // ours; the extension accepts any
inline constexpr std::size_t kDataHeaderSize = 6;        // u16 tag + u32 length
inline constexpr std::size_t kAckFrameSize = 10;         // u16 tag + u64 ack

enum class Tag : std::uint16_t { connect_success = 1, reconnect_success = 2, data = 4, ack = 7 };

struct ConnectSuccess {
  std::string session_id;
};
struct ReconnectSuccess {
  std::uint64_t ack;
};
// A view: when decoded it points into the decoder's (or the message's) bytes.
struct Data {
  std::span<const std::uint8_t> payload;
};
struct Ack {
  std::uint64_t ack;
};
using Frame = std::variant<ConnectSuccess, ReconnectSuccess, Data, Ack>;

// Writes a DATA header for a payload of `payload_size` (1..kMaxDataPayload) bytes into the first
// kDataHeaderSize bytes of `frame`: for payloads read straight into a frame buffer, after the header.
void write_data_header(std::span<std::uint8_t, kDataHeaderSize> frame, std::size_t payload_size);

// Appends the encoding of `frame` to `out`. A Data payload must be 1..kMaxDataPayload bytes.
Status encode(const Frame& frame, std::vector<std::uint8_t>& out);
std::vector<std::uint8_t> encode(const Frame& frame);

// Decodes exactly one frame that must fill the whole message (the WebSocket case). Data views into
// `message`.
Result<Frame> decode_message(std::span<const std::uint8_t> message);

// The size of the frame at the front of `message`, which must hold all of it: for a message that packs
// several frames (v4_url.hpp, packFrames), cut into frames for decode_message. A truncated or malformed
// frame is a protocol error.
Result<std::size_t> leading_frame_size(std::span<const std::uint8_t> message);

// Incremental decoder for a byte stream of concatenated frames, fed at any split points. A decoded
// Data view stays valid until the next call to feed() or next().
class FrameDecoder {
 public:
  // Bytes buffered beyond one maximal frame are refused: a peer cannot make us hold more.
  static constexpr std::size_t kBufferCap = kDataHeaderSize + kMaxDataPayload;

  // Takes as many bytes as fit (never more than the buffer cap minus what is held); returns the count.
  std::size_t feed(std::span<const std::uint8_t> bytes);
  // A frame, nothing yet (need more bytes), or a protocol error after which the decoder stays failed.
  Result<std::optional<Frame>> next();
  // True when no partial frame is buffered.
  bool at_frame_boundary() const { return buffer_.size() == consumed_; }

 private:
  std::vector<std::uint8_t> buffer_;
  std::size_t consumed_ = 0;
  std::optional<Error> failed_;
};

}  // namespace sshrelay::v4
