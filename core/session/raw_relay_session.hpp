#pragma once
// One plain WebSocket<->TCP session on the relay (`/relay?host=&port=`, the shape of wsproxy, gossh-wasm
// and websockify's binary mode): every binary message is target bytes as they are, both ways. No
// framing, no resume: when the client's socket is lost, the session ends. Sans-I/O like
// V4ServerSession, with the same liveness rule and the same driver surface.
//
// Backpressure: the driver reads the target only while wants_target_data() (bytes handed to the client
// socket and not yet written stay under `queue_cap`), and reads the next client message only after the
// previous one was written to the target.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/common/fifo.hpp"
#include "core/common/result.hpp"
#include "core/common/time.hpp"
#include "core/session/server_output.hpp"
#include "core/session/server_session_state.hpp"

namespace sshrelay {

struct RawRelaySessionConfig {
  std::size_t queue_cap = 1 << 20;      // target bytes queued for the client socket
  std::size_t max_message = 64 * 1024;  // target bytes per message to the client
  Duration ping_interval{30000};
};

class RawRelaySession {
 public:
  explicit RawRelaySession(RawRelaySessionConfig config);

  // The client's socket is attached (once: a raw session cannot be resumed, so any ack is refused).
  Status check_reconnect(std::uint64_t) const { return local_error("a /relay session cannot be resumed"); }
  Status attach(std::optional<std::uint64_t> resume_ack, TimePoint now);
  std::optional<std::span<const std::uint8_t>> on_client_message(std::span<const std::uint8_t> message, bool binary,
                                                                 TimePoint now);
  void on_client_closed(std::uint16_t code, TimePoint now);
  void on_pong(TimePoint) { state_.heard(); }
  void on_transport_lost(const std::string& why, TimePoint now);
  // A message from next_client_output() has been written (its bytes leave the queue).
  void on_client_written(TimePoint now);

  bool wants_target_data() const;
  std::size_t target_read_room() const;
  void on_target_data(std::span<const std::uint8_t> bytes, TimePoint now);
  void on_target_eof(const std::string& reason, TimePoint now);
  void on_target_written(std::size_t n, bool more_waiting, TimePoint now);
  void on_target_failed(const std::string& why, TimePoint now);

  void shutdown(std::uint16_t code, const std::string& reason, TimePoint now);

  std::optional<ClientOutput> next_client_output(TimePoint now);
  std::optional<SessionEvent> next_event() { return state_.next_event(); }
  std::optional<TimePoint> next_deadline() const;
  void on_timeout(TimePoint now);

  bool attached() const { return state_.attached(); }
  bool ended() const { return state_.ended(); }
  std::uint64_t bytes_up() const { return bytes_up_; }
  std::uint64_t bytes_down() const { return bytes_down_; }
  std::size_t queued() const { return queued_; }
  std::size_t held_bytes() const { return queued_; }  // target bytes this session holds in memory
  bool ended_cleanly() const { return false; }
  const std::optional<SendClose>& ending() const { return state_.ending(); }

 private:
  void end(std::uint16_t code, std::string reason);

  RawRelaySessionConfig config_;
  ServerSessionState state_;
  Fifo<FrameBytes> pending_;        // target bytes not yet handed to the driver
  Fifo<std::size_t> in_flight_;     // sizes of messages handed out and not yet written
  std::size_t queued_ = 0;                // bytes in pending_ and in_flight_
  std::uint64_t bytes_up_ = 0;
  std::uint64_t bytes_down_ = 0;
};

}  // namespace sshrelay
