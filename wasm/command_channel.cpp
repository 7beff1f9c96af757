#include "wasm/command_channel.hpp"

#include <algorithm>
#include <utility>

#include "wasm/ssh_error_text.hpp"

namespace sshrelay::wasm {

const char* command_state_name(CommandChannel::State state) {
  switch (state) {
    case CommandChannel::State::opening: return "opening";
    case CommandChannel::State::running: return "running";
    case CommandChannel::State::finished: return "finished";
    case CommandChannel::State::error: return "error";
  }
  return "error";
}

CommandChannel::CommandChannel(ssh_session session, std::string command)
    : session_(session), channel_(ssh_channel_new(session)), command_(std::move(command)) {
  if (channel_ == nullptr) {
    fail("could not create a channel");
    return;
  }
  ssh_callbacks_init(&callbacks_);
  callbacks_.userdata = this;
  callbacks_.channel_exit_status_function = &CommandChannel::on_exit_status;
  ssh_set_channel_callbacks(channel_, &callbacks_);
}

CommandChannel::~CommandChannel() {
  if (channel_ != nullptr) ssh_channel_free(channel_);
}

void CommandChannel::fail(const std::string& why) {
  if (state_ == State::error || state_ == State::finished) return;
  error_ = why;
  state_ = State::error;
  if (channel_ != nullptr && !ssh_channel_is_closed(channel_)) ssh_channel_close(channel_);
}

void CommandChannel::connection_lost(const std::string& why) { fail(why); }

void CommandChannel::on_exit_status(ssh_session, ssh_channel, int status, void* self) {
  static_cast<CommandChannel*>(self)->exit_status_ = status;
}

bool CommandChannel::pump() {
  if (state_ == State::finished || state_ == State::error) return false;
  if (step_ != Step::read) {
    const int rc = step_ == Step::open_session ? ssh_channel_open_session(channel_)
                                               : ssh_channel_request_exec(channel_, command_.c_str());
    if (rc == SSH_AGAIN) return false;
    if (rc != SSH_OK) {
      fail(std::string(step_ == Step::open_session ? "the server refused a channel: " : "the server refused the command: ") +
           ssh_error_text(session_, "refused"));
      return true;
    }
    if (step_ == Step::open_session) {
      step_ = Step::exec;
      return true;
    }
    step_ = Step::read;
    state_ = State::running;
    ssh_channel_send_eof(channel_);  // nothing goes to the command's stdin
  }
  bool changed = read_stream(0);
  changed = read_stream(1) || changed;
  if (state_ != State::running) return true;
  if ((ssh_channel_is_eof(channel_) || ssh_channel_is_closed(channel_)) && ssh_channel_poll(channel_, 0) <= 0 &&
      ssh_channel_poll(channel_, 1) <= 0) {
    // Everything the command wrote was read; its exit status arrives before the server's CLOSE.
    if (!exit_status_ && !ssh_channel_is_closed(channel_)) return changed;
    if (!ssh_channel_is_closed(channel_)) ssh_channel_close(channel_);
    if (!exit_status_) {
      fail("the command ended without an exit status (the connection may have been lost)");
      return true;
    }
    state_ = State::finished;
    return true;
  }
  return changed;
}

bool CommandChannel::read_stream(int is_stderr) {
  bool changed = false;
  std::uint8_t buffer[16384];
  for (int round = 0; round < 64; ++round) {
    const int n = ssh_channel_read_nonblocking(channel_, buffer, sizeof buffer, is_stderr);
    if (n == SSH_ERROR) {
      fail("the command's channel broke: " + ssh_error_text(session_, "read error"));
      return true;
    }
    if (n <= 0) break;  // 0: nothing now; SSH_EOF: judged by pump()
    changed = true;
    if (is_stderr) {
      const std::size_t room = kMaxStderr - std::min(kMaxStderr, stderr_.size());
      stderr_.append(reinterpret_cast<const char*>(buffer), std::min<std::size_t>(room, static_cast<std::size_t>(n)));
    } else {
      if (stdout_.size() + static_cast<std::size_t>(n) > kMaxStdout) {
        fail("the command's output passed " + std::to_string(kMaxStdout >> 20) + " MiB");
        return true;
      }
      stdout_.insert(stdout_.end(), buffer, buffer + n);
    }
  }
  return changed;
}

}  // namespace sshrelay::wasm
