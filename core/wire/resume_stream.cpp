#include "core/wire/resume_stream.hpp"

#include <memory>

#include "core/wire/v4_frame.hpp"

namespace sshrelay {
namespace {

FrameBytes encode_shared(const v4::Frame& frame) {
  return std::make_shared<const std::vector<std::uint8_t>>(v4::encode(frame));
}

}  // namespace

ResumeStream::ResumeStream(Role role, std::size_t replay_cap)
    : role_(role), state_(role == Role::client ? State::awaiting_connect : State::live), replay_cap_(replay_cap) {}

Status ResumeStream::send(std::span<const std::uint8_t> bytes) {
  if (failed_) return *failed_;
  replay_.append(bytes);
  return Ok{};
}

Status ResumeStream::send_frames(std::span<FrameBuffer> frames, std::size_t n) {
  if (failed_) return *failed_;
  return replay_.append_frames(frames, n);
}

Status ResumeStream::delivered(std::size_t n) {
  if (delivered_ + n > received_) {
    return local_error("delivered " + std::to_string(delivered_ + n) + " bytes but only " +
                       std::to_string(received_) + " were received");
  }
  delivered_ += n;
  return Ok{};
}

std::optional<FrameBytes> ResumeStream::next_message() {
  if (failed_ || state_ == State::detached || state_ == State::awaiting_resume) return std::nullopt;
  if (!control_.empty()) {
    auto message = std::move(control_.front());
    control_.pop_front();
    return message;
  }
  if (delivered_ > ack_reported_ && !acks_held_) {
    ack_reported_ = delivered_;
    return encode_shared(v4::Ack{delivered_});
  }
  if (write_cursor_ < replay_.end()) {
    auto frame = replay_.frame_at(write_cursor_);
    if (!frame) {  // unreachable while the ack rules hold; refuse rather than read outside the buffer
      failed_ = frame.error();
      return std::nullopt;
    }
    write_cursor_ = frame->second;
    if (write_cursor_ > sent_high_water_) sent_high_water_ = write_cursor_;
    return std::move(frame->first);
  }
  return std::nullopt;
}

bool ResumeStream::flushed() const {
  return control_.empty() && delivered_ <= ack_reported_ && write_cursor_ == replay_.end();
}

Result<StreamEvent> ResumeStream::fail(Error error) {
  failed_ = error;
  return error;
}

Status ResumeStream::check_peer_ack(std::uint64_t ack, const char* what) const {
  if (ack < replay_.start()) {
    return protocol_error(std::string(what) + " " + std::to_string(ack) + " goes backwards (already acknowledged " +
                          std::to_string(replay_.start()) + ")");
  }
  if (ack > write_cursor_) {
    return protocol_error(std::string(what) + " " + std::to_string(ack) + " exceeds the " +
                          std::to_string(write_cursor_) + " bytes sent");
  }
  return Ok{};
}

Result<StreamEvent> ResumeStream::receive(std::span<const std::uint8_t> message) {
  if (failed_) return *failed_;
  if (state_ == State::detached) return local_error("receive() while detached");
  auto frame = v4::decode_message(message);
  if (!frame) return fail(frame.error());

  if (auto* data = std::get_if<v4::Data>(&*frame)) {
    if (state_ == State::awaiting_connect || state_ == State::awaiting_resume) {
      return fail(protocol_error("DATA before the server's CONNECT_SUCCESS or RECONNECT_SUCCESS"));
    }
    received_ += data->payload.size();
    return StreamEvent{PayloadReceived{data->payload}};
  }
  if (auto* ack = std::get_if<v4::Ack>(&*frame)) {
    if (state_ == State::awaiting_connect || state_ == State::awaiting_resume) {
      return fail(protocol_error("ACK before the server's CONNECT_SUCCESS or RECONNECT_SUCCESS"));
    }
    if (auto ok = check_peer_ack(ack->ack, "ACK"); !ok) return fail(ok.error());
    (void)replay_.acknowledge(ack->ack);
    return StreamEvent{Acknowledged{ack->ack}};
  }
  if (role_ == Role::server) return fail(protocol_error("a client may send only DATA and ACK"));

  if (auto* connected = std::get_if<v4::ConnectSuccess>(&*frame)) {
    if (state_ != State::awaiting_connect) return fail(protocol_error("unexpected CONNECT_SUCCESS"));
    state_ = State::live;
    return StreamEvent{Connected{connected->session_id}};
  }
  const auto& resumed = std::get<v4::ReconnectSuccess>(*frame);
  if (state_ != State::awaiting_resume) return fail(protocol_error("unexpected RECONNECT_SUCCESS"));
  if (auto ok = check_peer_ack(resumed.ack, "RECONNECT_SUCCESS ack"); !ok) return fail(ok.error());
  (void)replay_.acknowledge(resumed.ack);
  write_cursor_ = resumed.ack;  // retransmit everything the server never received
  state_ = State::live;
  return StreamEvent{Resumed{resumed.ack}};
}

Result<ResumeSnapshot> ResumeStream::snapshot() const {
  if (role_ != Role::server) return local_error("only a server stream is handed over");
  if (failed_) return *failed_;
  if (delivered_ != received_) return local_error("bytes received but not yet delivered");
  ResumeSnapshot snapshot{received_, ack_reported_, sent_high_water_, replay_.start(), replay_.payload(), std::nullopt};
  if (state_ == State::live) {
    // Control frames are per transport and not part of the stream: the transport moves only without any.
    if (!control_.empty()) return local_error("control frames are waiting to be written");
    snapshot.written = write_cursor_;
  } else if (state_ != State::detached) {
    return local_error("a stream is handed over detached or live");
  }
  return snapshot;
}

ResumeStream ResumeStream::restored_server(std::size_t replay_cap, const ResumeSnapshot& snapshot) {
  ResumeStream stream(Role::server, replay_cap);
  stream.state_ = State::detached;
  stream.replay_ = ReplayBuffer::holding(snapshot.acked, snapshot.unacked);
  stream.received_ = snapshot.received;
  stream.delivered_ = snapshot.received;
  stream.ack_reported_ = snapshot.ack_reported;
  stream.sent_high_water_ = snapshot.sent_high_water;
  stream.write_cursor_ = stream.replay_.end();
  if (snapshot.written && *snapshot.written >= stream.replay_.start() && *snapshot.written <= stream.replay_.end()) {
    stream.state_ = State::live;
    stream.write_cursor_ = *snapshot.written;
  }
  return stream;
}

Status ResumeStream::start_server(const std::string& session_id) {
  if (role_ != Role::server) return local_error("start_server() on a client stream");
  auto frame = v4::encode(v4::ConnectSuccess{session_id});
  if (frame.empty()) return local_error("invalid session id");
  control_.push_back(std::make_shared<const std::vector<std::uint8_t>>(std::move(frame)));
  return Ok{};
}

void ResumeStream::detach() {
  if (failed_) return;
  state_ = State::detached;
  control_.clear();  // control frames are per transport; a resume queues its own
}

Status ResumeStream::check_resume(std::uint64_t client_received) const {
  if (failed_) return *failed_;
  if (role_ != Role::server) return local_error("resume on a client stream");
  return check_peer_ack(client_received, "reconnect ack");
}

Status ResumeStream::resume_server(std::uint64_t client_received) {
  if (state_ != State::detached && !failed_) return local_error("resume_server() while a transport is attached");
  if (auto ok = check_resume(client_received); !ok) return ok;
  (void)replay_.acknowledge(client_received);
  write_cursor_ = client_received;
  // The client retransmits from what we report, so report everything received, even bytes not yet
  // delivered (they will be); later ACKs must not go below it.
  ack_reported_ = received_;
  control_.push_back(encode_shared(v4::ReconnectSuccess{received_}));
  state_ = State::live;
  return Ok{};
}

Status ResumeStream::resume_client() {
  if (failed_) return *failed_;
  if (role_ != Role::client) return local_error("resume_client() on a server stream");
  if (state_ != State::detached) return local_error("resume_client() while a transport is attached");
  // The reconnect URL carries ack=bytes_received(): the server counts that as acknowledged.
  ack_reported_ = received_;
  state_ = State::awaiting_resume;
  return Ok{};
}

}  // namespace sshrelay
