#pragma once
// A client of the plain WebSocket<->TCP endpoint (`/relay?host=&port=`): every binary message is bytes
// of the target's stream. The same driver surface as V4ClientSession, so the page and the CLI run
// either shape with one loop; but nothing resumes: a lost transport ends the session.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/common/fifo.hpp"
#include "core/common/result.hpp"
#include "core/common/time.hpp"
#include "core/session/client_session.hpp"
#include "core/session/client_session_ending.hpp"
#include "core/session/client_session_types.hpp"
#include "core/session/server_output.hpp"

namespace sshrelay {

struct RawClientSessionConfig {
  std::string path_prefix;
  std::string host;
  std::uint16_t port = 22;
  std::size_t queue_cap = 1 << 20;      // local bytes queued for the relay
  std::size_t max_message = 16 * 1024;  // local bytes per message
};

class RawClientSession final : public ClientSession {
 public:
  explicit RawClientSession(RawClientSessionConfig config);

  void start(TimePoint now) override;
  void stop(TimePoint now) override;

  void on_open_succeeded(TimePoint now) override;
  void on_open_failed(const OpenFailure& failure, TimePoint now) override;
  void on_credentials_unavailable(const std::string& why, TimePoint now) override;
  std::optional<std::span<const std::uint8_t>> on_relay_message(std::span<const std::uint8_t> message, bool binary,
                                                                TimePoint now) override;
  void on_relay_closed(std::uint16_t code, const std::string& reason, TimePoint now) override;
  void on_transport_lost(const std::string& why, TimePoint now) override;

  bool can_accept_local() const override;
  Status on_local_data(std::span<const std::uint8_t> bytes, TimePoint now) override;
  void on_delivered(std::size_t n, TimePoint now) override;
  void on_local_failed(const std::string& why, TimePoint now) override;

  std::optional<OpenTransport> take_open() override;
  std::optional<FrameBytes> next_relay_message(TimePoint now) override;
  std::optional<SendClose> take_close() override { return ending_.take_close(); }
  std::optional<ClientEvent> next_event() override { return ending_.next_event(); }
  // Nothing resumes, so nothing is ever abandoned or waited for.
  bool take_abandon() override { return false; }
  std::optional<TimePoint> next_deadline() const override { return std::nullopt; }
  void on_timeout(TimePoint) override {}

  bool transport_open() const override { return transport_open_; }
  const std::optional<ClientOutcome>& outcome() const override { return ending_.outcome(); }
  const std::string& session_id() const override { return no_session_id_; }
  std::uint64_t reconnects() const override { return 0; }
  std::uint64_t bytes_sent() const { return bytes_sent_; }
  std::uint64_t bytes_received() const { return bytes_received_; }

 private:
  // Decides the outcome (first call wins), with a close frame for the open transport if `close`.
  void finish(ClientOutcome outcome, std::optional<SendClose> close = std::nullopt);

  RawClientSessionConfig config_;
  bool started_ = false;
  bool opening_ = false;
  bool transport_open_ = false;
  std::optional<OpenTransport> pending_open_;
  Fifo<FrameBytes> queue_;
  std::size_t queued_ = 0;
  std::uint64_t bytes_sent_ = 0;
  std::uint64_t bytes_received_ = 0;
  ClientSessionEnding ending_;
  std::string no_session_id_;  // /relay has no session ids
};

}  // namespace sshrelay
