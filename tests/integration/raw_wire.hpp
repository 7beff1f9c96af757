#pragma once
// A client that writes exactly the bytes a test gives it, for attacks on the relay's HTTP and
// WebSocket parsing: requests no well-behaved client library would send (oversized, malformed, slow,
// a forged Host), and WebSocket frames with bad masks, RSV bits, opcodes and lengths. Blocking POSIX
// socket on 127.0.0.1; every read is bounded by a deadline.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sshrelay::itest {

// How a read ended.
enum class ReadEnd { eof, reset, timeout, limit };

struct RawHttpResponse {
  unsigned status = 0;                         // 0 when no status line arrived
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // by Content-Length; empty for 101
};

// A WebSocket frame as the server sent it (servers never mask).
struct RawFrame {
  std::uint8_t opcode = 0;
  bool fin = true;
  std::vector<std::uint8_t> payload;
  // For a close frame (opcode 8): its code (0 when the payload has none) and reason.
  std::uint16_t close_code() const;
  std::string close_reason() const;
};

class RawConnection {
 public:
  // Connects to 127.0.0.1:port; `receive_buffer` > 0 sets SO_RCVBUF before connecting (a small window
  // keeps the relay from writing far ahead). Throws std::runtime_error on failure.
  explicit RawConnection(std::uint16_t port, int receive_buffer = 0);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // Writes everything or returns false (the peer reset or closed).
  bool send(std::string_view bytes);
  bool send(std::span<const std::uint8_t> bytes);
  // Writes as much of `bytes` as the socket takes within `timeout` (a peer that stopped reading fills
  // the buffers); returns how many bytes were written.
  std::size_t send_within(std::span<const std::uint8_t> bytes, std::chrono::milliseconds timeout);
  // Bytes written that the peer's TCP has not acknowledged yet (SIOCOUTQ): written minus this is what
  // reached the peer's socket.
  std::size_t unacknowledged() const;

  // Reads one HTTP response head (and its Content-Length body); nullopt on EOF, reset or timeout first.
  std::optional<RawHttpResponse> read_http_response(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Reads one server WebSocket frame; nullopt on EOF, reset or timeout first (see last_end()).
  std::optional<RawFrame> read_frame(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Reads frames until a close frame arrives, skipping others; nullopt if the connection ends first.
  std::optional<RawFrame> read_close(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Reads and drops bytes until the peer ends the connection, `limit` bytes, or `timeout`.
  ReadEnd drain(std::chrono::milliseconds timeout, std::size_t limit = 64 << 20);
  // Resets the connection (SO_LINGER 0).
  void reset();

  ReadEnd last_end() const { return last_end_; }
  std::size_t bytes_received() const { return received_total_; }

 private:
  // Makes at least `n` bytes available in buffer_, or returns false (last_end_ says why).
  bool fill(std::size_t n, std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
  ReadEnd last_end_ = ReadEnd::eof;
  std::size_t received_total_ = 0;
};

// "GET <target> HTTP/1.1" with Host 127.0.0.1:<port>, a valid key, version 13 and subprotocol ssh, then
// `extra` header lines ("Name: value", each without CRLF). A header in `extra` named Host, Origin or
// Sec-WebSocket-Key replaces the default one (give it twice to send it twice).
std::string upgrade_request(std::uint16_t port, const std::string& target, const std::vector<std::string>& extra = {});
// A plain GET with the given extra header lines (Host defaults as above, Connection: close).
std::string get_request(std::uint16_t port, const std::string& target, const std::vector<std::string>& extra = {});

// A client WebSocket frame: masked unless told otherwise; `rsv` goes into bits 4-6 of the first byte;
// `declared_length` overrides the length field (to lie about it).
std::vector<std::uint8_t> client_frame(std::uint8_t opcode, std::span<const std::uint8_t> payload, bool masked = true,
                                       std::uint8_t rsv = 0, std::optional<std::uint64_t> declared_length = {},
                                       bool fin = true);

// The v4 side of a raw connection: upgrades with `request` (see upgrade_request), expects 101, and reads
// v4 messages from binary frames. Throws std::runtime_error when the upgrade is refused.
class RawV4Wire {
 public:
  RawV4Wire(std::uint16_t port, const std::string& request, int receive_buffer = 0);
  RawConnection& connection() { return connection_; }
  // Sends one v4 message as a masked binary frame.
  bool send(std::span<const std::uint8_t> message);
  // The next binary frame's payload (a v4 message), skipping pings; nullopt on a close frame (see
  // close_frame()), EOF, reset or timeout.
  std::optional<std::vector<std::uint8_t>> next_message(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  const std::optional<RawFrame>& close_frame() const { return close_; }

 private:
  RawConnection connection_;
  std::optional<RawFrame> close_;
};

}  // namespace sshrelay::itest
