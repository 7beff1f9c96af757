#pragma once
// Streamed HTTP through a tunnel (beyond wsproxy; docs/tunnels.md "Streams"): a tunnel client that
// registers with `?streams=1` gets each visitor's HTTP exchange as a connection (tcp_open, binary frames,
// tcp_close), exactly like a raw-port connection, and simply pipes it to its local server. The relay
// writes the request head itself and reads the response head back, so the header rules still hold while
// bodies stream both ways with no size cap and no base64, and an Upgrade (WebSocket) passes through.
//
// Request: the visitor's head with the relay's credentials dropped (Cookie, Authorization, ... as for
// http_request) and the hop-by-hop fields replaced: `Connection: close` (one exchange per connection), or
// `Connection: Upgrade` with the visitor's Upgrade. Host, the body's framing (Content-Length,
// Transfer-Encoding) and Expect pass: the local server reads the body, and answers 100 Continue itself.
//
// Response: each head (interim 1xx ones included) is checked and filtered with the http_response rules,
// except that the body's framing is kept (the body passes as it is) and, after a 101, the Upgrade and
// Connection fields that make it one. A final non-101 head gets `Connection: close`; the relay closes the
// visitor's connection when the tunnel connection ends. Everything after the final head passes untouched.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/tunnel/tunnel_messages.hpp"

namespace sshrelay::tunnel {

inline constexpr std::size_t kMaxStreamedResponseHead = 64 * 1024;

// `fields`: the visitor's header fields in order (repeats included).
std::string streamed_request_head(std::string_view method, std::string_view target, const HeaderList& fields);

// Reads the response's heads out of the bytes the tunnel client sends back, rewriting them as above.
class StreamedResponse {
 public:
  // The bytes to write to the visitor for `bytes` from the tunnel client (nothing while a head is
  // incomplete). After failed(), nothing more is passed.
  std::vector<std::uint8_t> feed(std::span<const std::uint8_t> bytes);

  // True once a final head was written: the visitor has a response, if an unfinished one.
  bool answered() const { return state_ == State::body; }
  // A head that is no HTTP/1.x response, or larger than kMaxStreamedResponseHead: the relay answers 502.
  bool failed() const { return state_ == State::failed; }
  const std::string& failure() const { return failure_; }
  int status() const { return status_; }  // of the last head read (0 before any)

 private:
  enum class State { head, body, failed };
  bool take_head(std::string_view head, std::vector<std::uint8_t>& out);

  State state_ = State::head;
  std::string pending_;  // an unfinished head
  std::string failure_;
  int status_ = 0;
};

// A complete response the relay makes itself on a streamed connection (502 when the tunnel client sent
// no valid head), closing the connection.
std::string streamed_plain_response(int status, std::string_view reason, std::string_view body);

}  // namespace sshrelay::tunnel
