#include "wasm/client_transport.hpp"

#include <type_traits>
#include <variant>

#include "wasm/byte_pipe.hpp"

namespace sshrelay::wasm {

ClientTransport::ClientTransport(TransportMode mode, std::size_t replay_cap)
    : mode_(mode), stream_(Role::client, replay_cap) {}

bool ClientTransport::send(std::span<const std::uint8_t> bytes) {
  if (state_ == State::failed || state_ == State::closed) return false;
  if (mode_ == TransportMode::raw) {
    if (state_ == State::detached) return false;  // raw has no resume: the bytes would be lost
    // Coalesce small writes into the last message; one WebSocket message per pass is plenty.
    if (!raw_out_.empty() && raw_out_.back().size() + bytes.size() <= 65536) {
      raw_out_.back().insert(raw_out_.back().end(), bytes.begin(), bytes.end());
    } else {
      raw_out_.emplace_back(bytes.begin(), bytes.end());
    }
    raw_sent_ += bytes.size();
    return true;
  }
  if (auto ok = stream_.send(bytes); !ok) return fail(ok.error().message);
  return true;
}

bool ClientTransport::can_send() const {
  if (mode_ == TransportMode::raw) return true;
  return stream_.can_send();
}

bool ClientTransport::receive(std::span<const std::uint8_t> message, BytePipe& pipe) {
  if (state_ == State::failed || state_ == State::closed) return false;
  if (state_ == State::detached) return fail("a message arrived while the transport was marked lost");
  if (mode_ == TransportMode::raw) {
    established_ = true;
    state_ = State::live;
    raw_received_ += message.size();
    pipe.push(message);
    return true;
  }
  auto event = stream_.receive(message);
  if (!event) return fail("relay protocol error: " + event.error().message);
  return std::visit(
      [&](auto& e) -> bool {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, PayloadReceived>) {
          pipe.push(e.bytes);
          // Delivered = in our queue; libssh takes it from there, so it may be acknowledged now.
          undelivered_ += e.bytes.size();
          if (undelivered_ >= ack_batch_ && !flush_ack()) return false;
        } else if constexpr (std::is_same_v<E, Connected>) {
          session_id_ = e.session_id;
          established_ = true;
          state_ = State::live;
        } else if constexpr (std::is_same_v<E, Resumed>) {
          ++resumes_;
          state_ = State::live;
        }
        return true;
      },
      *event);
}

bool ClientTransport::flush_ack() {
  if (undelivered_ == 0) return state_ != State::failed;
  const std::size_t n = undelivered_;
  undelivered_ = 0;
  if (auto ok = stream_.delivered(n); !ok) return fail(ok.error().message);  // n were received: cannot fail
  return true;
}

std::vector<std::vector<std::uint8_t>> ClientTransport::take_messages() {
  std::vector<std::vector<std::uint8_t>> out;
  if (mode_ == TransportMode::raw) {
    if (state_ != State::detached) out.swap(raw_out_);
    return out;
  }
  while (auto message = stream_.next_message()) out.push_back(**message);
  return out;
}

void ClientTransport::lost() {
  if (state_ == State::failed || state_ == State::closed) return;
  if (mode_ == TransportMode::raw) {  // nothing to resume: this is the end
    state_ = State::detached;
    return;
  }
  stream_.detach();
  state_ = State::detached;
}

bool ClientTransport::can_resume() const {
  return mode_ == TransportMode::v4 && !session_id_.empty() && state_ != State::failed &&
         state_ != State::closed;
}

bool ClientTransport::reconnected(std::string& why) {
  if (!can_resume()) {
    why = mode_ == TransportMode::raw ? "a raw relay connection cannot be resumed"
          : session_id_.empty()       ? "the transport dropped before CONNECT_SUCCESS: nothing to resume"
                                      : "the transport has ended";
    return false;
  }
  if (state_ != State::detached) {
    why = "transportReconnected() without transportLost() first";
    return false;
  }
  if (auto ok = stream_.resume_client(); !ok) {
    why = ok.error().message;
    return false;
  }
  state_ = State::resuming;
  return true;
}

void ClientTransport::closed() {
  if (state_ != State::failed) state_ = State::closed;
}

std::uint64_t ClientTransport::reconnect_ack() const {
  return mode_ == TransportMode::raw ? raw_received_ : stream_.bytes_received();
}
std::uint64_t ClientTransport::bytes_sent() const {
  return mode_ == TransportMode::raw ? raw_sent_ : stream_.bytes_queued();
}
std::uint64_t ClientTransport::bytes_acked() const {
  return mode_ == TransportMode::raw ? raw_sent_ : stream_.bytes_acked();
}
std::uint64_t ClientTransport::bytes_received() const {
  return mode_ == TransportMode::raw ? raw_received_ : stream_.bytes_received();
}

bool ClientTransport::fail(std::string message) {
  if (state_ != State::failed) {
    error_ = std::move(message);
    state_ = State::failed;
  }
  return false;
}

}  // namespace sshrelay::wasm
