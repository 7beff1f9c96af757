#pragma once
// The SFTP subsystem on a second channel of the page's SSH connection (no second login): libssh opens
// the channel and carries its bytes; core's sftp::FileSession speaks SFTP over them. Stepped by the
// SshDriver in the same passes as the terminal's channel, so it never blocks either.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <libssh/libssh.h>

#include "core/sftp/file_session.hpp"
#include "wasm/channel_outbox.hpp"

namespace sshrelay::wasm {

class SftpChannel {
 public:
  enum class State { opening, requesting, open, closed, error };

  // `gate` is asked before each write of SFTP bytes (false: the relay's replay cap is full).
  SftpChannel(ssh_session session, std::function<bool()> gate);
  ~SftpChannel();
  SftpChannel(const SftpChannel&) = delete;
  SftpChannel& operator=(const SftpChannel&) = delete;

  // Opens, then moves bytes both ways as far as they go. True if anything changed.
  bool pump();
  // The connection under the channel is gone: every file operation fails with `why`.
  void connection_lost(const std::string& why);
  void close();

  State state() const { return state_; }
  const std::string& error() const { return error_; }
  sftp::FileSession& files() { return files_; }

 private:
  bool advance_open();
  bool read_replies();
  bool write_requests();
  void fail(const std::string& why);

  ssh_session session_;
  ssh_channel channel_ = nullptr;
  std::function<bool()> gate_;
  State state_ = State::opening;
  std::string error_;
  sftp::FileSession files_;
  ChannelOutbox out_;  // SFTP requests the channel window has not taken yet
  std::vector<std::uint8_t> read_buffer_;  // reused by every read
};

const char* sftp_state_name(SftpChannel::State state);

}  // namespace sshrelay::wasm
