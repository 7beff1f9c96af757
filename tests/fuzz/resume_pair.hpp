#pragma once
// A client and a server ResumeStream wired through an in-memory transport, with the harness's own
// account of each stream next to it: what the application queued and received, what the peer
// acknowledged, the write cursor on the current transport (the frames next_message() returned since
// the last resume; a resume sets it to the resume ack), and which control frame or ACK is owed.
// Every call into a stream is checked against that account, both for what the stream returns and for
// the counters it reports, so an adversarial value (a forged ACK, a reconnect with any ack) is
// accepted exactly when acked <= value <= write cursor and refused without side effects otherwise.
// Payload is checked twice: at the sender (each DATA frame carries the pattern at the cursor) and at
// the receiver (each byte is the pattern at its absolute offset, so nothing is lost, repeated or
// reordered) while the two sides' positions agree.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/wire/resume_stream.hpp"
#include "core/wire/v4_frame.hpp"
#include "tests/fuzz/byte_pattern.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace sshrelay::fuzz {

inline constexpr std::size_t kReplayCap = 256 * 1024;
inline constexpr const char* kSessionId = "fuzz-session-0123456789";

using Bytes = std::vector<std::uint8_t>;

// What a stream reports about itself; a refused call must leave all of it unchanged.
struct Counters {
  std::uint64_t acked, received, queued, delivered, sent;
  std::size_t unacked;
  bool failed;
  friend bool operator==(const Counters&, const Counters&) = default;
};

inline Counters counters_of(const ResumeStream& s) {
  return {s.bytes_acked(), s.bytes_received(), s.bytes_queued(), s.bytes_delivered(), s.bytes_sent(),
          s.unacked(),     s.failed()};
}

enum class Phase { awaiting_connect, live, detached, awaiting_resume };

// One end: the stream under test and the harness's account of it.
struct Side {
  Side(Role r, std::uint32_t salt) : stream(r, kReplayCap), role(r), pattern(salt) {}

  ResumeStream stream;
  Role role;
  BytePattern pattern;  // of the bytes this side sends
  Phase phase = role == Role::client ? Phase::awaiting_connect : Phase::live;
  std::uint64_t queued = 0;        // bytes the application passed to send()
  std::uint64_t acked = 0;         // what the peer acknowledged (ACK or resume)
  std::uint64_t cursor = 0;        // write cursor on the current transport
  std::uint64_t high_water = 0;    // most ever written
  std::uint64_t received = 0;      // payload accepted by receive()
  std::uint64_t delivered = 0;     // what the application confirmed with delivered()
  std::uint64_t ack_reported = 0;  // what the peer last heard from us
  std::optional<Bytes> owed_control;  // CONNECT_SUCCESS or RECONNECT_SUCCESS, written before anything
  bool peer_in_step = true;  // the peer writes from our received count: check payload against its pattern
  std::deque<FrameBytes> in_flight;  // written by this side, not yet received by the peer

  bool accepts_ack(std::uint64_t value) const { return acked <= value && value <= cursor; }
  bool owes_ack() const { return delivered > ack_reported; }
  bool has_nothing_to_write() const { return !owed_control && !owes_ack() && cursor == queued; }
};

class ResumePair {
 public:
  ResumePair() {
    FUZZ_CHECK(server_.stream.start_server(kSessionId).ok());
    server_.owed_control = v4::encode(v4::ConnectSuccess{kSessionId});
    check_accounts();
  }

  Side& client() { return client_; }
  Side& server() { return server_; }
  Side& peer_of(const Side& side) { return &side == &client_ ? server_ : client_; }
  bool connected() const { return connected_; }
  // False once a stream failed (as predicted): the session is over, nothing more to drive.
  bool running() const { return running_; }

  void check_accounts() const {
    check_account(client_);
    check_account(server_);
  }

  // The application sends n bytes of its pattern, if the replay cap lets it. `in_place`: the way the
  // daemon reads a target, straight into DATA frame buffers (send_frames), one more than n needs.
  void send(Side& side, std::size_t n, bool in_place = false) {
    if (!running_ || !side.stream.can_send()) return;
    if (in_place) {
      std::vector<FrameBuffer> frames;
      for (std::size_t at = 0; at <= n; at += v4::kMaxDataPayload) {
        auto frame = std::make_shared<Bytes>(v4::kDataHeaderSize + v4::kMaxDataPayload);
        const std::size_t fill = std::min(n - at, v4::kMaxDataPayload);
        side.pattern.fill(side.queued + at, std::span(*frame).subspan(v4::kDataHeaderSize, fill));
        frames.push_back(std::move(frame));
      }
      FUZZ_CHECK(side.stream.send_frames(frames, n).ok());
    } else {
      Bytes chunk(n);
      side.pattern.fill(side.queued, chunk);
      FUZZ_CHECK(side.stream.send(chunk).ok());
    }
    side.queued += n;
  }

  // The application has consumed n bytes; n may exceed what arrived (a local error, nothing changes).
  void deliver_to_application(Side& side, std::uint64_t n) {
    if (!running_) return;
    const auto before = counters_of(side.stream);
    auto status = side.stream.delivered(static_cast<std::size_t>(n));
    FUZZ_CHECK(status.ok() == (side.delivered + n <= side.received));
    if (status) {
      side.delivered += n;
    } else {
      FUZZ_CHECK(status.error().kind == ErrorKind::local && counters_of(side.stream) == before);
    }
  }

  // Moves up to `limit` messages from next_message() onto the wire; returns how many.
  int write(Side& side, int limit) {
    int written = 0;
    while (running_ && written < limit && write_one(side)) ++written;
    return written;
  }

  // The peer receives up to `limit` of the side's in-flight messages; returns how many.
  int carry(Side& from, int limit) {
    int carried = 0;
    Side& to = peer_of(from);
    while (running_ && carried < limit && !from.in_flight.empty()) {
      const FrameBytes message = std::move(from.in_flight.front());
      from.in_flight.pop_front();
      receive(to, *message);
      ++carried;
    }
    return carried;
  }

  // A message the peer never wrote: a forged ACK, RECONNECT_SUCCESS, or anything else.
  void inject(Side& to, const v4::Frame& frame) { receive(to, v4::encode(frame)); }

  // The socket dies: both ends notice, whatever is in flight is lost.
  void lose_transport() {
    if (!running_) return;
    for (Side* side : {&client_, &server_}) {
      side->stream.detach();
      side->phase = Phase::detached;
      side->owed_control.reset();
      side->in_flight.clear();
    }
  }

  // A client reconnects to the server with ack=`client_received` (its own count, or anything an
  // attacker holding the session id sends). The daemon first asks check_resume(): refused, a live
  // socket is kept; otherwise the old socket is evicted and resume_server() runs. After a refused
  // resume, a valid one (the client's own count when possible) must still work.
  void reconnect(std::uint64_t client_received) {
    if (!running_) return;
    const bool valid = server_.accepts_ack(client_received);
    const auto before_check = counters_of(server_.stream);
    const bool attached_before = server_.stream.attached();
    auto check = server_.stream.check_resume(client_received);
    FUZZ_CHECK(check.ok() == valid);
    if (!check) FUZZ_CHECK(check.error().kind == ErrorKind::remote_protocol);
    FUZZ_CHECK(counters_of(server_.stream) == before_check && server_.stream.attached() == attached_before);
    if (!connected_) return;  // no session id yet: nobody can reconnect
    if (!valid && server_.phase != Phase::detached) return;

    lose_transport();
    FUZZ_CHECK(client_.stream.resume_client().ok());
    client_.phase = Phase::awaiting_resume;
    client_.ack_reported = client_.received;

    const auto before = counters_of(server_.stream);
    auto resumed = server_.stream.resume_server(client_received);
    FUZZ_CHECK(resumed.ok() == valid);
    if (!resumed) {
      FUZZ_CHECK(counters_of(server_.stream) == before && !server_.stream.attached());
      FUZZ_CHECK(!server_.stream.next_message());
      client_received = server_.accepts_ack(client_.received) ? client_.received : server_.acked;
      FUZZ_CHECK(server_.stream.resume_server(client_received).ok());
    }
    server_.acked = server_.cursor = client_received;
    server_.ack_reported = server_.received;
    server_.owed_control = v4::encode(v4::ReconnectSuccess{server_.received});
    server_.phase = Phase::live;
    client_.peer_in_step = client_received == client_.received;  // else the server resends from elsewhere
    check_accounts();
  }

  // Writes, carries and confirms until nothing moves (reconnecting when detached); then, for each
  // direction whose positions agree, every byte sent has arrived. Bounded: every round moves data.
  void settle() {
    for (int round = 0; running_ && round < 100000; ++round) {
      if (client_.phase == Phase::detached) {
        if (!server_.accepts_ack(client_.received)) return;  // a forged ACK ate bytes: cannot resume
        reconnect(client_.received);
        continue;
      }
      int moved = write(client_, 1 << 20) + write(server_, 1 << 20);
      moved += carry(client_, 1 << 20) + carry(server_, 1 << 20);
      for (Side* side : {&client_, &server_}) {
        if (running_ && side->received > side->delivered) {
          deliver_to_application(*side, side->received - side->delivered);
          ++moved;
        }
      }
      if (moved == 0) break;
    }
    if (!running_) return;
    check_accounts();
    FUZZ_CHECK(connected_ && client_.phase == Phase::live && server_.phase == Phase::live);
    FUZZ_CHECK(client_.stream.flushed() && server_.stream.flushed());
    if (server_.peer_in_step) FUZZ_CHECK(server_.received == client_.queued);
    if (client_.peer_in_step) FUZZ_CHECK(client_.received == server_.queued);
  }

 private:
  enum class Outcome { accepted, refused_locally, refused_as_protocol_error };

  static void check_account(const Side& side) {
    const ResumeStream& s = side.stream;
    FUZZ_CHECK(!s.failed() && s.error() == nullptr);
    FUZZ_CHECK(s.bytes_acked() == side.acked);
    FUZZ_CHECK(s.bytes_queued() == side.queued);
    FUZZ_CHECK(s.unacked() == side.queued - side.acked);
    FUZZ_CHECK(s.bytes_received() == side.received);
    FUZZ_CHECK(s.bytes_delivered() == side.delivered);
    FUZZ_CHECK(s.bytes_sent() == side.high_water);
    FUZZ_CHECK(s.can_send() == (side.queued - side.acked < kReplayCap));
    FUZZ_CHECK(s.attached() == (side.phase == Phase::live || side.phase == Phase::awaiting_connect));
    FUZZ_CHECK(s.flushed() == side.has_nothing_to_write());
  }

  // What receive() must do with `frame` given the side's account.
  static Outcome expected_outcome(const Side& side, const v4::Frame& frame) {
    if (side.phase == Phase::detached) return Outcome::refused_locally;
    const bool awaiting = side.phase == Phase::awaiting_connect || side.phase == Phase::awaiting_resume;
    bool accepted = false;
    if (std::holds_alternative<v4::Data>(frame)) {
      accepted = !awaiting;
    } else if (const auto* ack = std::get_if<v4::Ack>(&frame)) {
      accepted = !awaiting && side.accepts_ack(ack->ack);
    } else if (side.role == Role::server) {
      accepted = false;  // a client sends only DATA and ACK
    } else if (std::holds_alternative<v4::ConnectSuccess>(frame)) {
      accepted = side.phase == Phase::awaiting_connect;
    } else {
      accepted = side.phase == Phase::awaiting_resume && side.accepts_ack(std::get<v4::ReconnectSuccess>(frame).ack);
    }
    return accepted ? Outcome::accepted : Outcome::refused_as_protocol_error;
  }

  bool write_one(Side& side) {
    auto message = side.stream.next_message();
    if (side.phase == Phase::detached || side.phase == Phase::awaiting_resume || side.has_nothing_to_write()) {
      FUZZ_CHECK(!message);
      return false;
    }
    FUZZ_CHECK(message && *message);
    const Bytes& bytes = **message;
    auto frame = v4::decode_message(bytes);
    FUZZ_CHECK(frame.ok());  // whatever a stream writes, its peer can decode
    if (side.owed_control) {
      FUZZ_CHECK(bytes == *side.owed_control);
      side.owed_control.reset();
    } else if (side.owes_ack()) {
      const auto* ack = std::get_if<v4::Ack>(&*frame);
      FUZZ_CHECK(ack && ack->ack == side.delivered);
      side.ack_reported = side.delivered;
    } else {
      const auto* data = std::get_if<v4::Data>(&*frame);
      FUZZ_CHECK(data && !data->payload.empty() && data->payload.size() <= v4::kMaxDataPayload);
      FUZZ_CHECK(side.cursor + data->payload.size() <= side.queued);
      FUZZ_CHECK(side.pattern.matches(side.cursor, data->payload));  // the bytes at the cursor, not freed ones
      side.cursor += data->payload.size();
      side.high_water = std::max(side.high_water, side.cursor);
    }
    side.in_flight.push_back(std::move(*message));
    return true;
  }

  void receive(Side& to, std::span<const std::uint8_t> message) {
    if (!running_) return;
    auto frame = v4::decode_message(message);
    FUZZ_CHECK(frame.ok());
    const Outcome expected = expected_outcome(to, *frame);
    const auto before = counters_of(to.stream);
    auto event = to.stream.receive(message);
    FUZZ_CHECK(event.ok() == (expected == Outcome::accepted));
    if (expected == Outcome::refused_locally) {
      FUZZ_CHECK(event.error().kind == ErrorKind::local && counters_of(to.stream) == before);
      return;
    }
    if (expected == Outcome::refused_as_protocol_error) {
      FUZZ_CHECK(event.error().kind == ErrorKind::remote_protocol);
      FUZZ_CHECK(to.stream.failed() && to.stream.error() != nullptr);
      auto after = counters_of(to.stream);
      after.failed = before.failed;
      FUZZ_CHECK(after == before);  // refused before touching anything
      FUZZ_CHECK(!to.stream.next_message());
      running_ = false;
      return;
    }
    apply(to, *frame, *event);
    check_accounts();
  }

  void apply(Side& to, const v4::Frame& frame, const StreamEvent& event) {
    Side& from = peer_of(to);
    if (const auto* data = std::get_if<v4::Data>(&frame)) {
      const auto* payload = std::get_if<PayloadReceived>(&event);
      FUZZ_CHECK(payload && payload->bytes.size() == data->payload.size());
      if (to.peer_in_step) FUZZ_CHECK(from.pattern.matches(to.received, payload->bytes));
      to.received += payload->bytes.size();
    } else if (const auto* ack = std::get_if<v4::Ack>(&frame)) {
      const auto* acknowledged = std::get_if<Acknowledged>(&event);
      FUZZ_CHECK(acknowledged && acknowledged->acked == ack->ack);
      to.acked = ack->ack;
    } else if (std::holds_alternative<v4::ConnectSuccess>(frame)) {
      const auto* connected = std::get_if<Connected>(&event);
      FUZZ_CHECK(connected && connected->session_id == kSessionId);
      to.phase = Phase::live;
      connected_ = true;
    } else {
      const auto resume_at = std::get<v4::ReconnectSuccess>(frame).ack;
      const auto* resumed = std::get_if<Resumed>(&event);
      FUZZ_CHECK(resumed && resumed->peer_received == resume_at);
      to.acked = to.cursor = resume_at;
      to.phase = Phase::live;
      from.peer_in_step = resume_at == from.received;  // a forged one: the client resends from elsewhere
    }
  }

  Side client_{Role::client, 11};
  Side server_{Role::server, 40000};
  bool connected_ = false;
  bool running_ = true;
};

}  // namespace sshrelay::fuzz
