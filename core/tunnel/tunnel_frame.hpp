#pragma once
// The binary messages of a tunnel WebSocket (wsproxy's /tunnel, both directions): the bytes of one TCP
// connection carried through the tunnel, tagged with the connection's id:
//   u32 big-endian idLen (1..64) || connId (ASCII) || payload
// e.g. connId "0123456789ab" with payload "hi" is 00 00 00 0c 30 31 ... 61 62 68 69. A message that does
// not parse is dropped by the receiver (wsproxy does the same), never an error that ends the tunnel.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace sshrelay::tunnel {

inline constexpr std::size_t kMaxFrameIdLength = 64;

struct Frame {
  std::string_view conn_id;  // views the message
  std::span<const std::uint8_t> payload;
};

// The header alone (4 + id bytes), for a gathered write of header and payload.
std::vector<std::uint8_t> frame_header(std::string_view conn_id);
// Header and payload in one message.
std::vector<std::uint8_t> encode_frame(std::string_view conn_id, std::span<const std::uint8_t> payload);

// Nothing when the id length is 0 or over kMaxFrameIdLength, or the message is shorter than it says.
std::optional<Frame> decode_frame(std::span<const std::uint8_t> message);

}  // namespace sshrelay::tunnel
