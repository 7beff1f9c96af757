#include "wasm/sftp_channel.hpp"

#include <algorithm>

#include "wasm/ssh_error_text.hpp"

namespace sshrelay::wasm {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

}  // namespace

const char* sftp_state_name(SftpChannel::State state) {
  switch (state) {
    case SftpChannel::State::opening: return "opening";
    case SftpChannel::State::requesting: return "opening";
    case SftpChannel::State::open: return "open";
    case SftpChannel::State::closed: return "closed";
    case SftpChannel::State::error: return "error";
  }
  return "error";
}

SftpChannel::SftpChannel(ssh_session session, std::function<bool()> gate)
    : session_(session), channel_(ssh_channel_new(session)), gate_(std::move(gate)) {
  if (channel_ == nullptr) fail("could not create the SFTP channel");
}

SftpChannel::~SftpChannel() {
  if (channel_ != nullptr) ssh_channel_free(channel_);
}

void SftpChannel::fail(const std::string& why) {
  if (state_ == State::error || state_ == State::closed) return;
  error_ = why;
  state_ = State::error;
  files_.on_channel_lost(why);
}

void SftpChannel::connection_lost(const std::string& why) { fail(why); }

void SftpChannel::close() {
  if (state_ == State::closed || state_ == State::error) return;
  if (channel_ != nullptr && !ssh_channel_is_closed(channel_)) ssh_channel_close(channel_);
  state_ = State::closed;
  files_.on_channel_lost("the file panel was closed");
}

bool SftpChannel::pump() {
  if (state_ == State::opening || state_ == State::requesting) return advance_open();
  if (state_ != State::open) return false;
  bool changed = read_replies();
  if (state_ != State::open) return true;
  changed = write_requests() || changed;
  if (ssh_channel_is_closed(channel_) || ssh_channel_is_eof(channel_)) {
    // What is still buffered was read above; the server ended the subsystem.
    if (ssh_channel_poll(channel_, 0) <= 0) {
      fail("the server closed the SFTP channel");
      return true;
    }
  }
  return changed;
}

bool SftpChannel::advance_open() {
  const bool opening = state_ == State::opening;
  const int rc = opening ? ssh_channel_open_session(channel_) : ssh_channel_request_subsystem(channel_, "sftp");
  if (rc == SSH_AGAIN) return false;
  if (rc != SSH_OK) {
    fail(std::string(opening ? "could not open a channel for SFTP: " : "the server does not offer SFTP: ") +
         ssh_error_text(session_, "refused"));
    return true;
  }
  if (opening) {
    state_ = State::requesting;
  } else {
    state_ = State::open;
    files_.start();
  }
  return true;
}

bool SftpChannel::read_replies() {
  bool changed = false;
  std::vector<std::uint8_t>& buffer = read_buffer_;
  if (buffer.size() != kReadChunk) buffer.resize(kReadChunk);
  for (int is_stderr = 0; is_stderr < 2; ++is_stderr) {
    for (;;) {
      const int n = ssh_channel_read_nonblocking(channel_, buffer.data(), static_cast<std::uint32_t>(buffer.size()),
                                                 is_stderr);
      if (n > 0) {
        changed = true;
        if (is_stderr) continue;  // sftp-server's diagnostics: not part of the protocol
        auto status = files_.on_bytes({buffer.data(), static_cast<std::size_t>(n)});
        if (!status) {
          fail(status.error().message);
          ssh_channel_close(channel_);
          return true;
        }
        continue;
      }
      if (n == SSH_ERROR) {
        fail("the SFTP channel broke: " + ssh_error_text(session_, "read error"));
        return true;
      }
      break;  // 0: nothing now; SSH_EOF: judged by pump()
    }
  }
  return changed;
}

bool SftpChannel::write_requests() {
  out_.push(files_.take_output());
  const auto written = out_.write_to(channel_, gate_);
  if (written == ChannelOutbox::Written::error) {
    fail("the SFTP channel broke: " + ssh_error_text(session_, "write error"));
  }
  return written != ChannelOutbox::Written::nothing;
}

}  // namespace sshrelay::wasm
