#pragma once
// The page's side of the relay link, for one SSH connection. JS owns the WebSocket; this object turns
// its messages into the SSH byte stream and back:
//   v4  — corp-relay-v4 through core ResumeStream(Role::client): lossless across reconnects
//         (/v4/connect, then /v4/reconnect?sid=&ack=reconnect_ack() after an unclean drop);
//   raw — plain WebSocket<->TCP (/relay?host=&port=): each binary message is SSH bytes as is.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/resume_stream.hpp"

namespace sshrelay::wasm {

class BytePipe;

enum class TransportMode { v4, raw };

class ClientTransport {
 public:
  enum class State { connecting, live, detached, resuming, closed, failed };

  ClientTransport(TransportMode mode, std::size_t replay_cap);

  // Bytes the SSH layer produced. False only after the transport failed or closed for good.
  bool send(std::span<const std::uint8_t> bytes);
  // Backpressure for the application's own source (terminal input): false while unacked bytes fill the
  // replay cap. SSH protocol bytes are always taken.
  bool can_send() const;

  // A binary WebSocket message: payload goes into `pipe`. False on a protocol error (see error()).
  bool receive(std::span<const std::uint8_t> message, BytePipe& pipe);
  // Everything to write on the socket now; empty while detached or resuming (until the server's
  // RECONNECT_SUCCESS arrives through receive()).
  std::vector<std::vector<std::uint8_t>> take_messages();

  // ACK batching (v4). With a batch of 0 every message is acknowledged in the next take_messages();
  // otherwise only once `bytes` have arrived unacknowledged, and the owner calls flush_ack() when the
  // stream goes quiet (ack_pending()). One ACK per ~12 KiB relay message cost the page a WebSocket
  // send each — the browser, the network service and the relay all handle it (docs/wasm.md).
  void set_ack_batch(std::size_t bytes) { ack_batch_ = bytes; }
  bool ack_pending() const { return undelivered_ > 0; }
  bool flush_ack();  // false only if the transport failed

  void lost();         // the socket dropped uncleanly: keep state, wait for a reconnect
  // A /v4/reconnect socket opened. False (with the reason in `why`) if there is nothing to resume or
  // the transport was not lost; the transport itself is unharmed by such a call.
  bool reconnected(std::string& why);
  // Whether an unclean drop can be resumed: v4, CONNECT_SUCCESS seen, nothing failed.
  bool can_resume() const;
  void closed();       // the relay closed cleanly (or gave up): no more bytes, ever

  TransportMode mode() const { return mode_; }
  State state() const { return state_; }
  const std::string& session_id() const { return session_id_; }
  std::uint64_t reconnect_ack() const;  // the `ack=` of the reconnect URL
  std::uint64_t bytes_sent() const;     // SSH bytes queued for the relay
  std::uint64_t bytes_acked() const;    // of which the relay confirmed receipt
  std::uint64_t bytes_received() const;
  unsigned resumes() const { return resumes_; }
  const std::string& error() const { return error_; }
  // True once something arrived from the relay (CONNECT_SUCCESS or, in raw mode, the first bytes).
  bool established() const { return established_; }

 private:
  bool fail(std::string message);

  TransportMode mode_;
  State state_ = State::connecting;
  ResumeStream stream_;
  std::size_t ack_batch_ = 0;
  std::size_t undelivered_ = 0;  // in the pipe, not yet reported as delivered (no ACK owed yet)
  std::vector<std::vector<std::uint8_t>> raw_out_;  // raw mode only
  std::uint64_t raw_sent_ = 0;
  std::uint64_t raw_received_ = 0;
  std::string session_id_;
  std::string error_;
  unsigned resumes_ = 0;
  bool established_ = false;
};

}  // namespace sshrelay::wasm
