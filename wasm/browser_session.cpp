#include "wasm/browser_session.hpp"

#include <utility>

#include "core/session/raw_client_session.hpp"
#include "core/session/v4_client_session.hpp"

namespace sshrelay::wasm {
namespace {

std::unique_ptr<ClientSession> make_machine(const BrowserSession::Options& o) {
  const auto port = static_cast<std::uint16_t>(o.ssh.port);
  if (o.shape == RelayShape::relay) {
    RawClientSessionConfig config;
    config.path_prefix = o.path_prefix;
    config.host = o.ssh.host;
    config.port = port;
    config.queue_cap = o.replay_cap;
    return std::make_unique<RawClientSession>(std::move(config));
  }
  V4ClientSessionConfig config;
  config.path_prefix = o.path_prefix;
  config.host = o.ssh.host;
  config.port = port;
  config.user = o.ssh.user;
  config.rendezvous_id = o.rendezvous_id;
  config.rendezvous_token = o.rendezvous_token;
  config.replay_cap = o.replay_cap;
  config.reconnect.budget = o.reconnect_budget;
  config.ack_batch = o.ack_batch;
  config.ack_delay = o.ack_delay;
  config.hello_timeout = o.hello_timeout;
  config.seed = o.seed;
  // Chromium pays about as much per WebSocket message as per 11 KiB of its bytes (docs/wasm.md,
  // "Throughput"): ask the relay for several frames per message.
  config.pack_frames = true;
  // A browser's credentials are cookies the WebSocket carries by itself: nothing to refresh.
  config.refreshable_credentials = false;
  return std::make_unique<V4ClientSession>(std::move(config));
}

}  // namespace

BrowserSession::BrowserSession(const Options& options)
    : shape_(options.shape),
      machine_(make_machine(options)),
      pipe_([this](std::span<const std::uint8_t> bytes) {
        // libssh's send(): never refused while the session lives (libssh treats a failed send as
        // fatal); terminal input is held back one level up by the input gate.
        if (!machine_->on_local_data(bytes, now_)) return false;
        bytes_sent_ += bytes.size();
        return true;
      }),
      ssh_(std::make_unique<SshDriver>(options.ssh, pipe_)) {
  ssh_->set_input_gate([this] { return machine_->can_accept_local(); });
}

BrowserSession::~BrowserSession() = default;

std::string BrowserSession::state() const {
  const auto& outcome = machine_->outcome();
  if (outcome && outcome->end == ClientEnd::protocol_error) return "error";
  const auto phase = ssh_->phase();
  if (phase == SshDriver::Phase::kex && !answered_ && !outcome) return "connecting";
  return phase_name(phase);
}

std::string BrowserSession::error() const {
  const auto& outcome = machine_->outcome();
  if (outcome && outcome->end == ClientEnd::protocol_error) return "relay protocol error: " + outcome->detail;
  return ssh_->error();
}

bool BrowserSession::step() {
  const auto& outcome = machine_->outcome();
  if (outcome && outcome->end == ClientEnd::protocol_error) return true;
  return ssh_->step();
}

void BrowserSession::settle(TimePoint now) {
  now_ = now;
  if (!answered_) {
    answered_ = shape_ == RelayShape::relay ? machine_->transport_open() : !machine_->session_id().empty();
  }
  if (machine_->finished() && !eof_pushed_) {
    eof_pushed_ = true;
    pipe_.push_eof();  // libssh reads EOF on its next poll
  }
}

void BrowserSession::start(TimePoint now) {
  now_ = now;
  machine_->start(now);
  settle(now);
}

void BrowserSession::stop(TimePoint now) {
  now_ = now;
  machine_->stop(now);
  settle(now);
}

void BrowserSession::open_succeeded(TimePoint now) {
  now_ = now;
  machine_->on_open_succeeded(now);
  settle(now);
}

void BrowserSession::open_failed(const std::string& detail, TimePoint now) {
  now_ = now;
  // A browser never sees the upgrade's HTTP status: 0, and never "fatal" (it cannot tell).
  machine_->on_open_failed(OpenFailure{0, false, detail}, now);
  settle(now);
}

void BrowserSession::relay_closed(std::uint16_t code, const std::string& reason, TimePoint now) {
  now_ = now;
  machine_->on_relay_closed(code, reason, now);
  settle(now);
}

void BrowserSession::transport_lost(const std::string& why, TimePoint now) {
  now_ = now;
  machine_->on_transport_lost(why, now);
  settle(now);
}

void BrowserSession::receive_message(std::span<const std::uint8_t> message, bool binary, TimePoint now) {
  now_ = now;
  if (auto payload = machine_->on_relay_message(message, binary, now); payload && !payload->empty()) {
    // Delivered = in libssh's queue; libssh takes it from there, so the relay may be told at once.
    pipe_.push(*payload);
    bytes_received_ += payload->size();
    machine_->on_delivered(payload->size(), now);
  }
  settle(now);
}

std::vector<FrameBytes> BrowserSession::take_messages(TimePoint now) {
  now_ = now;
  std::vector<FrameBytes> out;
  while (auto message = machine_->next_relay_message(now)) out.push_back(std::move(*message));
  settle(now);  // pulling a message may itself decide the outcome (a broken stream)
  return out;
}

void BrowserSession::on_timeout(TimePoint now) {
  now_ = now;
  machine_->on_timeout(now);
  settle(now);
}

const char* client_end_name(ClientEnd end) {
  switch (end) {
    case ClientEnd::closed_by_relay: return "closed_by_relay";
    case ClientEnd::stopped: return "stopped";
    case ClientEnd::local_closed: return "local_closed";
    case ClientEnd::refused: return "refused";
    case ClientEnd::unreachable: return "unreachable";
    case ClientEnd::lost_before_connect: return "lost_before_connect";
    case ClientEnd::transport_lost: return "transport_lost";
    case ClientEnd::gave_up: return "gave_up";
    case ClientEnd::protocol_error: return "protocol_error";
    case ClientEnd::credentials_unavailable: return "credentials_unavailable";
  }
  return "protocol_error";
}

}  // namespace sshrelay::wasm
