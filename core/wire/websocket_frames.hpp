#pragma once
// RFC 6455 framing for the relay's side of a WebSocket (after the HTTP upgrade): reading the client's
// frames and encoding the relay's. Sans-I/O. Hand-written rather than Beast's stream because the relay
// needs what a message-at-a-time library cannot give it: several frames parsed from one socket read and
// several written with one gathered write (the batched data path), and, when a write fails, the frames
// already received still read and counted (nothing the client sent is forgotten at a drop).
//
// Reading rules (server role): client frames must be masked; RSV bits must be zero (no extension is
// negotiated); opcodes 0, 1, 2, 8, 9, 10 only; control frames are final and carry at most 125 bytes;
// fragmented messages are reassembled (control frames may come between fragments); a message larger
// than the limit is refused with 1009 before its bytes are read; a close frame's code must be one a peer
// may send and its reason valid UTF-8 (1007 otherwise). Any violation is final: the reader stays failed.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/common/result.hpp"

namespace sshrelay::ws {

enum class Opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

// A whole message; the payload views the reader's buffer until release().
struct Message {
  bool binary = true;
  std::span<const std::uint8_t> payload;
};
struct Ping {
  std::vector<std::uint8_t> payload;  // echoed in the pong
};
struct Pong {};
struct Close {
  std::uint16_t code = 0;  // 0: the frame had no code (the answer is then an empty close frame, RFC 6455 §5.5.1)
  std::string reason;
};
using Event = std::variant<Message, Ping, Pong, Close>;

class Reader {
 public:
  // `max_message`: the largest message accepted (payload bytes, all fragments together).
  explicit Reader(std::size_t max_message);

  // Room for up to `max` more bytes from the socket (after release(), the buffer is compacted first);
  // then commit() what was read into it.
  std::span<std::uint8_t> prepare(std::size_t max);
  void commit(std::size_t n);

  // The next whole event, or nothing until more bytes arrive. A protocol violation is an error whose
  // message is the close reason; close_code() says which code (1002, 1007, 1009).
  Result<std::optional<Event>> next();
  std::uint16_t close_code() const { return failure_code_; }
  std::size_t max_message() const { return max_message_; }

  // The views of every Message returned so far may be dropped: their bytes are freed.
  void release();
  // Received bytes not yet returned as events (a partial frame, or frames next() has not reached).
  std::size_t buffered() const { return end_ - parse_; }
  // Those bytes as they came from the socket, for another reader to start from (a connection moved to
  // another process); nothing while a fragmented message is half reassembled or the reader has failed.
  std::optional<std::span<const std::uint8_t>> unparsed() const;

 private:
  Result<std::optional<Event>> fail(std::uint16_t code, std::string reason);

  std::size_t max_message_;
  std::vector<std::uint8_t> buffer_;
  std::size_t start_ = 0;  // first byte still referenced (returned message payloads) or unparsed
  std::size_t parse_ = 0;  // first byte not yet parsed
  std::size_t end_ = 0;    // end of the received bytes
  // A fragmented message being reassembled in place: its payload so far is [message_begin_, message_end_).
  bool in_message_ = false;
  bool message_binary_ = true;
  std::size_t message_begin_ = 0;
  std::size_t message_end_ = 0;
  std::uint16_t failure_code_ = 0;
  std::optional<Error> failed_;
};

// The header of an unmasked (server) frame: 2, 4 or 10 bytes.
struct FrameHeader {
  std::array<std::uint8_t, 10> bytes{};
  std::size_t size = 0;
  std::span<const std::uint8_t> view() const { return {bytes.data(), size}; }
};
FrameHeader frame_header(Opcode opcode, std::uint64_t payload_size, bool fin = true);

// A close frame's payload: the code (big-endian) and the reason (made valid UTF-8 of at most 123 bytes).
std::vector<std::uint8_t> close_payload(std::uint16_t code, std::string_view reason);

// Codes a peer may put in a close frame (RFC 6455 §7.4): 1000-1003, 1007-1011, 3000-4999.
bool is_sendable_close_code(std::uint16_t code);

// XORs `bytes` with the 4-byte mask, starting at mask position `offset` % 4.
void unmask(std::span<std::uint8_t> bytes, const std::array<std::uint8_t, 4>& mask, std::size_t offset = 0);

}  // namespace sshrelay::ws
