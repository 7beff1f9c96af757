#pragma once
// The load client's connections, one interface for four ways of reaching the target through a relay:
//
//   tcp         plain TCP to a TCP relay (socat): what a byte-copying floor looks like
//   v4          corp-relay-v4 over WebSocket (/v4/connect): DATA frames of at most 16 KiB, an ACK after
//               every DATA received, as the Secure Shell extension does
//   ws          plain WebSocket <-> TCP (/relay?host=&port=): raw binary messages, no framing
//   rendezvous  a pair of v4 legs on /rendezvous/<id> (rendezvous_pair.hpp): the relay dials nothing; this
//               client is both parties, and the far one answers as the target would
//
// C++20 coroutines on Asio; each phase runs its own io_context on the calling thread.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <span>
#include <string>

namespace bench {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

enum class Kind { tcp, v4, ws, rendezvous };
const char* kind_name(Kind kind);

// What a coroutine's exception says, for the table's failure notes.
std::string describe(std::exception_ptr e);
// Whether the relay ACKs what the client sends (v4 framing): those ACKs must be read while a bulk upload
// is written, or they fill the socket and the relay stops.
bool relay_acks(Kind kind);

struct Route {
  Kind kind = Kind::tcp;
  std::uint16_t relay_port = 0;   // where the client connects (127.0.0.1)
  std::uint16_t target_port = 0;  // the target the relay should dial (v4 and ws name it in the URL; a
                                  // rendezvous pair has none)
  // v4: once connected, drop the socket and resume the session at this port (another node of a cluster:
  // the session then runs through a forwarded reconnect). 0: stay.
  std::uint16_t resume_port = 0;
};

class Conn {
 public:
  virtual ~Conn() = default;
  // Payload to the target: v4 DATA frames / ws messages of at most 16 KiB; tcp writes as given.
  virtual net::awaitable<void> send(std::span<const std::uint8_t> bytes) = 0;
  // The next payload bytes from the target; empty at the end of the stream (relay or target closed).
  // The view stays valid until the next call. v4: ACKs each DATA before returning, unless auto-ACK is off.
  virtual net::awaitable<std::span<const std::uint8_t>> recv() = 0;
  // Ends the session the way a well-behaved client does (v4/ws: close handshake; tcp: FIN), bounded.
  virtual net::awaitable<void> close() = 0;
  // v4 only: whether recv() ACKs DATA (off while another coroutine is writing: one writer per socket).
  virtual void set_auto_ack(bool) {}
  // Closes the socket at once, no close handshake: whatever waits on it fails. For a rendezvous pair's
  // far party when the near leg was dropped (the relay would keep both legs for their grace period).
  virtual void abort() = 0;
  // v4 only: drops the socket (no close handshake) and resumes the session on a new one at `port`;
  // returns the milliseconds from the new connect to RECONNECT_SUCCESS.
  virtual net::awaitable<double> resume_at(std::uint16_t port);

  // When recv() last got payload from the socket (before any ACK it then wrote): latency stamps.
  Clock::time_point last_arrival{};
};

// A WebSocket to the relay at `target` (path and query), subprotocol ssh; v4: once CONNECT_SUCCESS came.
net::awaitable<std::unique_ptr<Conn>> open_websocket(std::uint16_t relay_port, std::string target, bool v4);

// Opens a session and completes it end to end: the relay dialed the target (or paired both legs) and the
// mode byte (see bench_target.cpp) got its 'R' back. `mode_header` is the mode byte and any argument.
net::awaitable<std::unique_ptr<Conn>> open_session(Route route, std::span<const std::uint8_t> mode_header);

// Fills exactly `want` bytes (appended to out) with recv(); throws if the stream ends first.
net::awaitable<void> recv_exact(Conn& conn, std::size_t want, std::string* out = nullptr);

}  // namespace bench
