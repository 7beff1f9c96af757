#pragma once
// One end of a resumable corp-relay-v4 byte stream, for either role. Sans-I/O: the owner feeds each
// received WebSocket message to receive(), writes whatever next_message() returns, and tells the
// stream when its transport drops and comes back. Counters are absolute since the first connect, so
// a reconnect resumes exactly where the peer stopped: nothing lost, nothing twice.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>

#include "core/common/fifo.hpp"
#include "core/wire/replay_buffer.hpp"
#include "core/common/result.hpp"

namespace sshrelay {

enum class Role { server, client };

// Payload for the application. Deliver it, then call delivered(size) so the peer gets an ACK.
// The view points into the message passed to receive().
struct PayloadReceived {
  std::span<const std::uint8_t> bytes;
};
// Client only: the server's CONNECT_SUCCESS.
struct Connected {
  std::string session_id;
};
// Client only: the server's RECONNECT_SUCCESS; retransmission from `peer_received` is queued.
struct Resumed {
  std::uint64_t peer_received;
};
// The peer acknowledged bytes: unacked() shrank, so a paused source may be read again.
struct Acknowledged {
  std::uint64_t acked;
};
using StreamEvent = std::variant<PayloadReceived, Connected, Resumed, Acknowledged>;

// A server stream as a successor process needs it (a handover, docs/cluster.md): counters and the
// unacknowledged bytes. Everything received was delivered (the driver waited for that). A stream
// handed over with its transport (the client's socket moves too) also says how far it wrote.
struct ResumeSnapshot {
  std::uint64_t received = 0;
  std::uint64_t ack_reported = 0;
  std::uint64_t sent_high_water = 0;
  std::uint64_t acked = 0;              // the replay buffer's start
  std::vector<std::uint8_t> unacked;    // [acked, acked + size)
  std::optional<std::uint64_t> written; // attached: the bytes written on the transport so far
};

class ResumeStream {
 public:
  // `replay_cap` bounds unacked bytes: callers stop reading their source while !can_send().
  ResumeStream(Role role, std::size_t replay_cap);

  // --- application side ---
  Status send(std::span<const std::uint8_t> bytes);
  // The same for `n` bytes read straight into DATA frame buffers (ReplayBuffer::append_frames).
  Status send_frames(std::span<FrameBuffer> frames, std::size_t n);
  bool can_send() const { return replay_.size() < replay_cap_; }
  std::size_t unacked() const { return replay_.size(); }
  Status delivered(std::size_t n);
  // While held, next_message() owes the peer an ACK but does not send it (a session batching ACKs
  // during a burst); releasing lets the next next_message() send one ACK for everything delivered.
  void hold_acks(bool held) { acks_held_ = held; }

  // --- transport side ---
  // The next binary message for the current transport: control frames, then an ACK if one is owed,
  // then data from the write cursor. Nothing while detached (or, for a client, until resumed).
  std::optional<FrameBytes> next_message();
  Result<StreamEvent> receive(std::span<const std::uint8_t> message);

  // Server: a new session; its first message is CONNECT_SUCCESS.
  Status start_server(const std::string& session_id);
  // The transport is gone; whatever was in flight is resent after a resume.
  void detach();
  // Server: whether a reconnect with ack=`client_received` could resume, without touching anything:
  // checked before a live socket is evicted for it, so a refused reconnect cannot harm the session.
  Status check_resume(std::uint64_t client_received) const;
  // Server: a client reconnected with ack=`client_received`. Validates it (a bad value is refused
  // without harming the session), queues RECONNECT_SUCCESS(bytes received) and replays from there.
  Status resume_server(std::uint64_t client_received);
  // Client: a new transport is open (reconnected with ack=bytes_received()); output waits for the
  // server's RECONNECT_SUCCESS, which says where to retransmit from.
  Status resume_client();

  bool attached() const { return state_ == State::live || state_ == State::awaiting_connect; }

  // Server, everything received delivered, and either detached or live with no control frame queued
  // (the transport moves too): the stream for a successor; else a LocalError.
  Result<ResumeSnapshot> snapshot() const;
  // The successor's stream: live on the moved transport, writing on from `written`, when the snapshot
  // has it (and it lies within the kept bytes); else detached, waiting for the client's reconnect.
  static ResumeStream restored_server(std::size_t replay_cap, const ResumeSnapshot& snapshot);
  // Nothing left to write: no control frame, no ACK owed, every queued byte written.
  bool flushed() const;
  bool failed() const { return failed_.has_value(); }
  // Why the stream failed (null while it has not): a peer's protocol error or a broken local invariant.
  const Error* error() const { return failed_ ? &*failed_ : nullptr; }

  std::uint64_t bytes_received() const { return received_; }  // the ack a reconnect reports
  std::uint64_t bytes_delivered() const { return delivered_; }
  std::uint64_t bytes_acked() const { return replay_.start(); }
  std::uint64_t bytes_queued() const { return replay_.end(); }
  std::uint64_t bytes_sent() const { return sent_high_water_; }  // most ever written: a statistic only

 private:
  enum class State { awaiting_connect, live, detached, awaiting_resume };

  Result<StreamEvent> fail(Error error);
  Status check_peer_ack(std::uint64_t ack, const char* what) const;

  Role role_;
  State state_;
  std::size_t replay_cap_;
  ReplayBuffer replay_;
  // Next offset to write on the current transport. It is also the bound on anything the peer may
  // acknowledge: after a resume from a lower ack the cursor rewinds, and bytes above it were carried
  // only by a dead transport — the peer said so. (Bounding by the high-water mark instead let an
  // ACK free replay entries the cursor had not re-sent: a use-after-free, issue #10 F1.)
  std::uint64_t write_cursor_ = 0;
  std::uint64_t sent_high_water_ = 0;   // most bytes ever written, for statistics
  std::uint64_t received_ = 0;
  std::uint64_t delivered_ = 0;
  std::uint64_t ack_reported_ = 0;      // what the peer last heard from us (ACK or reconnect)
  bool acks_held_ = false;
  Fifo<FrameBytes> control_;
  std::optional<Error> failed_;
};

}  // namespace sshrelay
