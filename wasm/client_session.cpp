#include "wasm/client_session.hpp"

namespace sshrelay::wasm {

ClientSession::ClientSession(const Options& options)
    : transport_(options.transport, options.replay_cap),
      pipe_([this](std::span<const std::uint8_t> bytes) { return transport_.send(bytes); }),
      ssh_(std::make_unique<SshDriver>(options.ssh, pipe_)) {
  ssh_->set_input_gate([this] { return transport_.can_send(); });
  transport_.set_ack_batch(options.ack_batch);
}

std::string ClientSession::state() const {
  if (transport_.state() == ClientTransport::State::failed) return "error";
  const auto phase = ssh_->phase();
  if (phase == SshDriver::Phase::kex && !transport_.established()) return "connecting";
  return phase_name(phase);
}

std::string ClientSession::error() const {
  if (transport_.state() == ClientTransport::State::failed) return transport_.error();
  return ssh_->error();
}

bool ClientSession::step() {
  if (transport_.state() == ClientTransport::State::failed) return true;
  return ssh_->step();
}

bool ClientSession::receive_message(std::span<const std::uint8_t> message) {
  return transport_.receive(message, pipe_);
}

void ClientSession::transport_lost() {
  transport_.lost();
  // Raw WebSocket<->TCP has no resume: the SSH connection ends here.
  if (transport_.mode() == TransportMode::raw) pipe_.push_eof();
}

bool ClientSession::transport_reconnected(std::string& why) { return transport_.reconnected(why); }

void ClientSession::transport_closed() {
  transport_.closed();
  pipe_.push_eof();  // libssh reads EOF on its next poll
}

}  // namespace sshrelay::wasm
