#pragma once
// One corp-relay-v4 session on the relay, as a state machine: a target connection that outlives the
// client's WebSockets. Sans-I/O: the driver (native/daemon) owns the sockets and the timer, feeds every
// event in with the time, and does what the machine says. The rules of the session live here:
//
//  - attach: a first connect gets CONNECT_SUCCESS; a reconnect is checked before anything changes (a
//    refused one harms nothing), then replaces whatever socket was attached;
//  - liveness: while attached, one check per ping interval (core/session/liveness);
//  - grace: a detached session waits `grace` for a reconnect, then ends;
//  - ACKs: one per DATA written to the target, except during an upload burst (the client's next
//    message already waiting), when one per `ack_batch` bytes; the burst's last DATA is ACKed at once;
//  - target EOF: everything read from the target is written and acknowledged, then close 1000;
//  - which endings close the client with which code (core/wire/close_code.hpp).
//
// Backpressure: the driver reads the target only while wants_target_data() (unacknowledged bytes below
// the replay cap), and reads the next client message only after the previous payload was written to
// the target.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/common/result.hpp"
#include "core/common/time.hpp"
#include "core/session/server_output.hpp"
#include "core/session/server_session_state.hpp"
#include "core/wire/resume_stream.hpp"

namespace sshrelay {

struct V4ServerSessionConfig {
  std::size_t replay_cap = 4 << 20;  // unacknowledged target bytes kept for replay
  Duration grace{120000};            // a detached session waits this long for a reconnect
  Duration ping_interval{30000};     // liveness check period
  std::size_t ack_batch = 64 * 1024; // bytes per ACK during an upload burst
  // After target EOF and the last byte written, how long to wait for the client's final ACK before
  // pinging it: if it answers, it is there and does not ACK (some clients never do), and it still gets
  // its close frame; if not, liveness detaches it and the session waits for a reconnect.
  Duration final_ack_wait{2000};
};

// A session handed to a successor process (sshrelayd --takeover): its stream and ACK state. Detached,
// or attached when the client's socket moves with it (stream.written is then set).
struct V4ServerSnapshot {
  ResumeSnapshot stream;
  std::uint64_t ack_flushed_at = 0;
};

class V4ServerSession {
 public:
  V4ServerSession(V4ServerSessionConfig config, const std::string& session_id);
  // The successor's session. Attached (liveness from `now`) when the snapshot was taken attached and
  // its write position is valid: the moved socket carries on. Else detached since `now`, so its grace
  // starts again, and the client resumes it; attached() tells which.
  static V4ServerSession restored(V4ServerSessionConfig config, const V4ServerSnapshot& snapshot, TimePoint now);
  // What restored() needs: only for a session not ended, its target not at EOF, and either detached or
  // attached with nothing owed to its socket (every output taken, and so written, by the driver).
  Result<V4ServerSnapshot> snapshot() const;

  // --- the client's WebSocket ---
  // Whether a reconnect with ack=`client_received` would be taken; changes nothing.
  Status check_reconnect(std::uint64_t client_received) const;
  // A socket attaches: the first connect (no ack) or a reconnect (checked as above; on error nothing
  // changed). Whatever socket was attached before is superseded: the driver drops it.
  Status attach(std::optional<std::uint64_t> resume_ack, TimePoint now);
  // One message from the attached socket. Returns payload for the target (a view into `message`: keep
  // it until on_target_written), or nothing. A protocol error ends the session (1002; 1003 for text).
  std::optional<std::span<const std::uint8_t>> on_client_message(std::span<const std::uint8_t> message, bool binary,
                                                                 TimePoint now);
  // The client's close frame (the WebSocket library answers it): a clean close ends the session.
  void on_client_closed(std::uint16_t code, TimePoint now);
  void on_pong(TimePoint now);
  // The attached socket failed (read/write error, reset). The session waits for a reconnect.
  void on_transport_lost(const std::string& why, TimePoint now);
  // A message from next_client_output() was written (v4 keeps its bytes for replay until ACKed anyway).
  void on_client_written(TimePoint) {}

  // --- the target ---
  bool wants_target_data() const;
  std::size_t target_read_room() const;  // at most this many bytes per read
  void on_target_data(std::span<const std::uint8_t> bytes, TimePoint now);
  // The same bytes read straight into DATA frame buffers (see ResumeStream::send_frames): the driver
  // reads a streaming target this way, with no copy into the replay buffer.
  void on_target_frames(std::span<FrameBuffer> frames, std::size_t n, TimePoint now);
  void on_target_eof(const std::string& reason, TimePoint now);
  // `n` payload bytes reached the target; `more_waiting`: the client's next message is already here.
  void on_target_written(std::size_t n, bool more_waiting, TimePoint now);
  void on_target_failed(const std::string& why, TimePoint now);

  // --- the relay ---
  void shutdown(std::uint16_t code, const std::string& reason, TimePoint now);

  // --- outputs ---
  // The next thing to write on the attached socket; nothing while detached or with nothing to say.
  std::optional<ClientOutput> next_client_output(TimePoint now);
  std::optional<SessionEvent> next_event() { return state_.next_event(); }
  std::optional<TimePoint> next_deadline() const;
  void on_timeout(TimePoint now);

  bool attached() const { return state_.attached(); }
  bool ended() const { return state_.ended(); }
  // Ended by the target's EOF after the client acknowledged everything: a reconnect (the close frame was
  // lost in a drop) may be told the same ending instead of "unknown session".
  bool ended_cleanly() const { return ended_cleanly_; }
  // The ending, once decided.
  const std::optional<SendClose>& ending() const { return state_.ending(); }
  const ResumeStream& stream() const { return stream_; }
  std::uint64_t bytes_up() const { return stream_.bytes_received(); }
  std::uint64_t bytes_down() const { return stream_.bytes_sent(); }
  std::size_t held_bytes() const { return stream_.unacked(); }  // target bytes kept for replay

 private:
  struct Restoring {};
  V4ServerSession(V4ServerSessionConfig config, Restoring, ResumeStream stream);
  void detach(std::string why, TimePoint now);

  V4ServerSessionConfig config_;
  ResumeStream stream_;
  ServerSessionState state_;
  bool ever_attached_ = false;
  std::optional<TimePoint> grace_deadline_;
  std::uint64_t ack_flushed_at_ = 0;  // bytes delivered when an ACK was last let out
  bool ended_cleanly_ = false;
  std::optional<TimePoint> final_ack_deadline_;  // target EOF, all written, the client's ACK awaited
  bool final_ack_probe_ = false;                 // ... it did not come: a ping asks if the client is there
};

}  // namespace sshrelay
