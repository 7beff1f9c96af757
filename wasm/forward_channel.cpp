#include "wasm/forward_channel.hpp"

#include <algorithm>
#include <utility>

#include "wasm/ssh_error_text.hpp"

namespace sshrelay::wasm {

const char* forward_state_name(ForwardChannel::State state) {
  switch (state) {
    case ForwardChannel::State::opening: return "opening";
    case ForwardChannel::State::open: return "open";
    case ForwardChannel::State::closed: return "closed";
    case ForwardChannel::State::error: return "error";
  }
  return "error";
}

ForwardChannel::ForwardChannel(ssh_session session, std::string host, int port, std::function<bool()> gate)
    : session_(session), channel_(ssh_channel_new(session)), host_(std::move(host)), port_(port), gate_(std::move(gate)) {
  if (channel_ == nullptr) fail("could not create a channel");
}

ForwardChannel::~ForwardChannel() {
  if (channel_ != nullptr) ssh_channel_free(channel_);
}

void ForwardChannel::fail(const std::string& why) {
  if (state_ == State::error || state_ == State::closed) return;
  error_ = why;
  state_ = State::error;
}

void ForwardChannel::connection_lost(const std::string& why) { fail(why); }

void ForwardChannel::write(std::vector<std::uint8_t> bytes) {
  if (bytes.empty() || close_requested_ || state_ == State::closed || state_ == State::error) return;
  out_.push(std::move(bytes));
}

std::vector<std::uint8_t> ForwardChannel::take_received() { return std::exchange(received_, {}); }

void ForwardChannel::close() {
  close_requested_ = true;
  if (state_ == State::opening) {
    // Not open yet: nothing to flush, and a half-open channel is closed once libssh has it.
    state_ = State::closed;
    if (channel_ != nullptr) ssh_channel_close(channel_);
  }
}

bool ForwardChannel::pump() {
  if (state_ == State::opening) {
    // The originator address is the page's own side, which the server only logs.
    const int rc = ssh_channel_open_forward(channel_, host_.c_str(), port_, "127.0.0.1", 0);
    if (rc == SSH_AGAIN) return false;
    if (rc != SSH_OK) {
      fail("the SSH server refused to connect to " + host_ + ":" + std::to_string(port_) + ": " +
           ssh_error_text(session_, "refused"));
      return true;
    }
    state_ = State::open;
  }
  if (state_ != State::open) return false;
  bool changed = read_data();
  if (state_ != State::open) return true;
  changed = write_data() || changed;
  if (close_requested_ && out_.empty()) {
    ssh_channel_close(channel_);
    state_ = State::closed;
    return true;
  }
  if ((ssh_channel_is_eof(channel_) || ssh_channel_is_closed(channel_)) && ssh_channel_poll(channel_, 0) <= 0) {
    // The service closed its side, and everything it sent has been read.
    if (!ssh_channel_is_closed(channel_)) ssh_channel_close(channel_);
    state_ = State::closed;
    return true;
  }
  return changed;
}

bool ForwardChannel::read_data() {
  bool changed = false;
  while (received_.size() < kMaxReceived) {
    const std::size_t old = received_.size();
    received_.resize(kMaxReceived);
    const int n = ssh_channel_read_nonblocking(channel_, received_.data() + old, static_cast<std::uint32_t>(kMaxReceived - old), 0);
    received_.resize(old + static_cast<std::size_t>(std::max(n, 0)));
    if (n > 0) {
      changed = true;
      continue;
    }
    if (n == SSH_ERROR) {
      fail("the forwarded connection broke: " + ssh_error_text(session_, "read error"));
      return true;
    }
    break;  // 0: nothing now; SSH_EOF: judged by pump()
  }
  return changed;
}

bool ForwardChannel::write_data() {
  const auto written = out_.write_to(channel_, gate_);
  if (written == ChannelOutbox::Written::error) fail("the forwarded connection broke: " + ssh_error_text(session_, "write error"));
  return written != ChannelOutbox::Written::nothing;
}

}  // namespace sshrelay::wasm
