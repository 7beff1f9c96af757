#pragma once
// "Share a port": one tunnel (the relay's /tunnel?streams=1) whose visitors reach host:port on the SSH
// server's side, each visitor's connection carried by its own direct-tcpip channel of the page's SSH
// connection. Core's TunnelClient speaks the tunnel protocol; this only pairs its connections with
// channels. JS owns the tunnel's WebSocket: it hands each message to on_message() and sends what
// take_messages() returns.
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/tunnel/tunnel_client.hpp"

namespace sshrelay::wasm {

class SshDriver;

class PortShare {
 public:
  PortShare(SshDriver& ssh, std::string host, int port);
  ~PortShare();
  PortShare(const PortShare&) = delete;
  PortShare& operator=(const PortShare&) = delete;

  void on_message(std::span<const std::uint8_t> message, bool binary);
  // Pairs new connections with channels, and moves bytes between them and the tunnel. `may_send`: the
  // WebSocket can take more now (false while much is buffered), else channels' bytes wait (and their
  // windows hold the services back).
  void pump(bool may_send);
  std::vector<tunnel::OutMessage> take_messages();
  // Every channel closed (the share was stopped, or its WebSocket ended).
  void stop();

  const tunnel::TunnelClient& client() const { return client_; }
  const std::string& host() const { return host_; }
  int port() const { return port_; }
  std::size_t refused() const { return refused_; }            // connections the SSH server would not open
  const std::string& last_refusal() const { return last_refusal_; }

 private:
  SshDriver& ssh_;
  std::string host_;
  int port_;
  tunnel::TunnelClient client_;
  std::map<std::string, int> channels_;  // the tunnel's connection id -> the driver's forward channel
  std::size_t refused_ = 0;
  std::string last_refusal_;
};

}  // namespace sshrelay::wasm
