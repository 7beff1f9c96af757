#pragma once
// One direct-tcpip channel of the page's SSH connection ("Share a port"): the SSH server connects to
// host:port on its side and the channel carries that connection's bytes. Stepped by the SshDriver in the
// same passes as the terminal's channel, never blocking. Bytes read wait in received() until taken;
// while kMaxReceived wait, the channel is not read, so the server's window (its flow control) holds
// the service back — each channel on its own.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <libssh/libssh.h>

#include "wasm/channel_outbox.hpp"

namespace sshrelay::wasm {

class ForwardChannel {
 public:
  enum class State { opening, open, closed, error };
  static constexpr std::size_t kMaxReceived = 256 * 1024;

  // `gate` is asked before each write (false: the relay's replay cap is full).
  ForwardChannel(ssh_session session, std::string host, int port, std::function<bool()> gate);
  ~ForwardChannel();
  ForwardChannel(const ForwardChannel&) = delete;
  ForwardChannel& operator=(const ForwardChannel&) = delete;

  // Opens, then moves bytes both ways as far as they go. True if anything changed.
  bool pump();
  // Bytes for the service, written in order as the window allows (also while opening).
  void write(std::vector<std::uint8_t> bytes);
  std::vector<std::uint8_t> take_received();
  // Ends the connection (after what is queued is written) and the channel.
  void close();
  void connection_lost(const std::string& why);

  State state() const { return state_; }
  const std::string& error() const { return error_; }
  // The service's side ended (EOF or close) and everything it sent was taken.
  bool finished() const { return (state_ == State::closed || state_ == State::error) && received_.empty(); }

 private:
  bool read_data();
  bool write_data();
  void fail(const std::string& why);

  ssh_session session_;
  ssh_channel channel_ = nullptr;
  std::string host_;
  int port_;
  std::function<bool()> gate_;
  State state_ = State::opening;
  std::string error_;
  bool close_requested_ = false;
  ChannelOutbox out_;
  std::vector<std::uint8_t> received_;
};

const char* forward_state_name(ForwardChannel::State state);

}  // namespace sshrelay::wasm
