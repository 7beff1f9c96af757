#pragma once
// One browser SSH connection: the relay transport (v4 or raw), the pipe libssh reads and writes, and
// the libssh driver, wired together. Plain C++ with no embind: bindings.cpp maps it to JS.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "wasm/byte_pipe.hpp"
#include "wasm/client_transport.hpp"
#include "wasm/ssh_driver.hpp"

namespace sshrelay::wasm {

class ClientSession {
 public:
  struct Options {
    SshDriver::Options ssh;
    TransportMode transport = TransportMode::v4;
    std::size_t replay_cap = 1 << 20;  // unacked client->relay bytes before terminal input waits
    std::size_t ack_batch = 0;         // see ClientTransport::set_ack_batch
  };

  explicit ClientSession(const Options& options);

  // The state the page shows, as one word (see docs/wasm.md): the driver's phase, except "connecting"
  // before the relay answered and "error" once the transport failed.
  std::string state() const;
  std::string error() const;
  bool step();  // see SshDriver::step

  // --- transport side (JS owns the WebSocket) ---
  bool receive_message(std::span<const std::uint8_t> message);
  std::vector<std::vector<std::uint8_t>> take_messages() { return transport_.take_messages(); }
  void flush_ack() { (void)transport_.flush_ack(); }  // a failure shows in the transport's state
  void transport_lost();
  bool transport_reconnected(std::string& why);
  void transport_closed();

  SshDriver& ssh() { return *ssh_; }
  const SshDriver& ssh() const { return *ssh_; }
  const ClientTransport& transport() const { return transport_; }

 private:
  ClientTransport transport_;
  BytePipe pipe_;
  std::unique_ptr<SshDriver> ssh_;  // after pipe_: destroyed first, while the descriptor still exists
  std::string transport_error_;
};

}  // namespace sshrelay::wasm
