#pragma once
// One browser SSH connection: a core client session machine (sshrelay::ClientSession — V4ClientSession
// for corp-relay-v4, RawClientSession for the plain /relay endpoint; the same machines the CLI drives),
// the pipe libssh reads and writes, and the libssh driver, wired together. Only I/O glue lives here:
// what to open, when to reconnect, how a session ends and what its close code means are the machine's.
// Plain C++ with no embind: bindings.cpp maps it to JS.
//
//   libssh ⇄ BytePipe ── sink → machine->on_local_data()            (gate: machine->can_accept_local())
//                      ◀─ push(payload) ← machine->on_relay_message(), then on_delivered()
//                      ◀─ EOF once the machine has an outcome
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/common/time.hpp"
#include "core/session/client_session.hpp"
#include "wasm/byte_pipe.hpp"
#include "wasm/ssh_driver.hpp"

namespace sshrelay::wasm {

enum class RelayShape { v4, relay };

class BrowserSession {
 public:
  struct Options {
    SshDriver::Options ssh;
    RelayShape shape = RelayShape::v4;
    std::string path_prefix;                   // the relay URL's path ("" usually)
    std::size_t replay_cap = 1 << 20;          // v4: unacked bytes; /relay: queued bytes
    std::size_t ack_batch = 0;                 // v4: see V4ClientSessionConfig
    Duration ack_delay{5};
    Duration reconnect_budget{120000};         // v4: from a drop to the last attempt
    Duration hello_timeout{15000};             // v4: an open and its CONNECT/RECONNECT_SUCCESS
    std::uint64_t seed = 0;                    // v4: reconnect jitter
    // v4 only: a rendezvous leg (an invitation's session id and initiator token) instead of a target the
    // relay dials; ssh.host then only names the host for known_hosts.
    std::string rendezvous_id;
    std::string rendezvous_token;
  };

  explicit BrowserSession(const Options& options);
  ~BrowserSession();
  BrowserSession(const BrowserSession&) = delete;
  BrowserSession& operator=(const BrowserSession&) = delete;

  // The state the page shows, as one word (docs/wasm.md): the driver's phase, except "connecting"
  // until the relay answered and "error" once the relay broke the protocol.
  std::string state() const;
  std::string error() const;
  bool step();  // see SshDriver::step

  // --- the relay's WebSocket (JS owns it): each call reports, then settles (EOF into the pipe) ---
  void start(TimePoint now);
  void stop(TimePoint now);
  void open_succeeded(TimePoint now);
  void open_failed(const std::string& detail, TimePoint now);
  void relay_closed(std::uint16_t code, const std::string& reason, TimePoint now);
  void transport_lost(const std::string& why, TimePoint now);
  void receive_message(std::span<const std::uint8_t> message, bool binary, TimePoint now);
  std::vector<FrameBytes> take_messages(TimePoint now);
  void on_timeout(TimePoint now);

  ClientSession& machine() { return *machine_; }
  const ClientSession& machine() const { return *machine_; }
  RelayShape shape() const { return shape_; }
  bool answered() const { return answered_; }  // CONNECT_SUCCESS (v4) or the upgrade (/relay) seen
  SshDriver& ssh() { return *ssh_; }
  const SshDriver& ssh() const { return *ssh_; }
  std::uint64_t bytes_sent() const { return bytes_sent_; }          // SSH bytes handed to the machine
  std::uint64_t bytes_received() const { return bytes_received_; }  // SSH bytes handed to libssh

 private:
  void settle(TimePoint now);  // after every machine call: note the relay's answer, EOF at the end

  RelayShape shape_;
  std::unique_ptr<ClientSession> machine_;
  TimePoint now_{};           // the last time JS passed in (the pipe's sink runs inside step())
  bool answered_ = false;     // the relay answered: CONNECT_SUCCESS (v4) or the upgrade (/relay)
  bool eof_pushed_ = false;
  std::uint64_t bytes_sent_ = 0;
  std::uint64_t bytes_received_ = 0;
  BytePipe pipe_;
  std::unique_ptr<SshDriver> ssh_;  // after pipe_: destroyed first, while the descriptor still exists
};

// performance.now() milliseconds as a TimePoint (one epoch for the page's whole life).
inline TimePoint time_from_ms(double ms) {
  return TimePoint{std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double, std::milli>(ms))};
}
inline double ms_from_time(TimePoint t) {
  return std::chrono::duration<double, std::milli>(t.time_since_epoch()).count();
}

const char* client_end_name(ClientEnd end);

}  // namespace sshrelay::wasm
