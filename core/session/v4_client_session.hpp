#pragma once
// One corp-relay-v4 session seen from a client — the CLI and the browser drive this same machine, so
// both reconnect, retry credentials and end sessions by the same rules:
//
//  - connect: open /v4/connect; bytes from the application may be queued at once (design.md §2 allows
//    DATA before CONNECT_SUCCESS), but with refreshable credentials nothing is written before
//    CONNECT_SUCCESS, so a refused first connect can be retried without losing them;
//  - credentials: a 401/403 to the upgrade, or close 4401 before CONNECT_SUCCESS/RECONNECT_SUCCESS, is
//    retried once with fresh credentials (when the driver can fetch them);
//  - a drop (transport lost without a close frame) after CONNECT_SUCCESS is resumed with
//    /v4/reconnect?sid=&ack=<bytes received>, on the ReconnectPolicy's schedule until its deadline; after
//    RECONNECT_SUCCESS everything the relay did not receive is retransmitted (core ResumeStream);
//  - final: a close frame from the relay ends the session (the Secure Shell extension never resumes
//    after one either); an HTTP 4xx to a reconnect except 408/429 ends it; 5xx and network errors are
//    retried;
//  - ACKs: with ack_batch 0, one per delivery at once; otherwise one per ack_batch bytes delivered, and
//    a partial batch after ack_delay without more.
// Sans-I/O: time and randomness are passed in; the driver opens what take_open() asks for, writes
// what next_relay_message() returns, and reports everything that happens.
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/common/result.hpp"
#include "core/common/time.hpp"
#include "core/session/client_session.hpp"
#include "core/session/client_session_ending.hpp"
#include "core/session/client_session_types.hpp"
#include "core/session/reconnect_policy.hpp"
#include "core/session/server_output.hpp"
#include "core/wire/resume_stream.hpp"

namespace sshrelay {

struct V4ClientSessionConfig {
  std::string path_prefix;  // the relay URL's path ("" or "/prefix")
  std::string host;         // the target, as the relay is asked to dial it
  std::uint16_t port = 22;
  std::string user;         // dstUsername (informational for the relay)
  // A rendezvous leg instead of a target: the session id and this side's slot token
  // (core/rendezvous/rendezvous_api.hpp). Then host/port/user are not used.
  std::string rendezvous_id;
  std::string rendezvous_token;
  // At local EOF, end the session (close 4000) once the relay has acknowledged every byte: a rendezvous
  // leg's other end is a client that waits for the end as well, so someone must end it (swsrs's legs
  // end when either side ends). Otherwise the session waits for the relay to close it.
  bool end_on_local_eof = false;
  std::size_t replay_cap = 4 << 20;
  ReconnectPolicyConfig reconnect;
  std::size_t ack_batch = 0;
  Duration ack_delay{5};
  // Ask the relay for several frames per WebSocket message (packFrames, core/wire/v4_url.hpp): for the
  // browser, which pays per message. Messages of one frame are read the same either way.
  bool pack_frames = false;
  bool refreshable_credentials = false;
  // An open and the relay's CONNECT_SUCCESS/RECONNECT_SUCCESS after it must come within this long; a
  // relay that accepts and then says nothing (or a path that swallows packets) is abandoned.
  Duration hello_timeout{15000};
  std::uint64_t seed = 0;  // for the reconnect jitter: from a CSPRNG in production, fixed in tests
};

class V4ClientSession final : public ClientSession {
 public:
  explicit V4ClientSession(V4ClientSessionConfig config);

  // --- control ---
  void start(TimePoint now) override;
  void stop(TimePoint now) override;

  // --- the relay's WebSocket ---
  void on_open_succeeded(TimePoint now) override;
  void on_open_failed(const OpenFailure& failure, TimePoint now) override;
  // The driver could not get credentials for the attempt take_open() asked for.
  void on_credentials_unavailable(const std::string& why, TimePoint now) override;
  // A message from the relay. Returns payload for the application (a view into `message`, or into this
  // session when a packed message held several DATA frames; valid until the next call): deliver it, then
  // call on_delivered().
  std::optional<std::span<const std::uint8_t>> on_relay_message(std::span<const std::uint8_t> message, bool binary,
                                                                TimePoint now) override;
  void on_relay_closed(std::uint16_t code, const std::string& reason, TimePoint now) override;
  void on_transport_lost(const std::string& why, TimePoint now) override;

  // --- the application ---
  bool can_accept_local() const override;
  Status on_local_data(std::span<const std::uint8_t> bytes, TimePoint now) override;
  void on_delivered(std::size_t n, TimePoint now) override;
  void on_local_failed(const std::string& why, TimePoint now) override;
  void on_local_eof(TimePoint now) override;

  // --- outputs ---
  std::optional<OpenTransport> take_open() override;
  // The next message for the open transport (nothing while none is open or nothing may be written).
  std::optional<FrameBytes> next_relay_message(TimePoint now) override;
  // A close frame to send on the open transport, once; the outcome is already decided.
  std::optional<SendClose> take_close() override { return ending_.take_close(); }
  // True once when the transport being opened (or open, awaiting the relay's hello) is abandoned for
  // taking too long: the driver drops it without waiting for its completions.
  bool take_abandon() override;
  std::optional<ClientEvent> next_event() override { return ending_.next_event(); }
  std::optional<TimePoint> next_deadline() const override;
  void on_timeout(TimePoint now) override;

  // --- state ---
  bool transport_open() const override { return transport_open_; }
  const std::optional<ClientOutcome>& outcome() const override { return ending_.outcome(); }
  const std::string& session_id() const override { return session_id_; }
  bool reconnecting() const { return policy_.in_series(); }
  std::uint64_t reconnects() const override { return reconnects_; }
  const ResumeStream& stream() const { return stream_; }
  // Whether an ACK is being held back for the batch (the page shows nothing for it; tests look).
  bool ack_pending() const { return ack_deadline_.has_value(); }

 private:
  // One frame of a relay message: its payload, if it is DATA.
  std::optional<std::span<const std::uint8_t>> on_relay_frame(std::span<const std::uint8_t> frame, TimePoint now);
  void request_open(bool reconnect, bool credentials_refused, TimePoint now);
  bool retry_credentials(TimePoint now);
  void schedule_attempt(const std::string& last_error, TimePoint now);
  // Decides the outcome (first call wins), with a close frame for the open transport if `close`.
  void finish(ClientOutcome outcome, std::optional<SendClose> close = std::nullopt);
  // With end_on_local_eof: ends the session once the local side is done and everything it sent is acknowledged.
  void end_if_local_done();
  std::uint64_t next_random();

  V4ClientSessionConfig config_;
  ResumeStream stream_;
  ReconnectPolicy policy_;
  std::uint64_t random_state_;
  std::string session_id_;
  std::vector<std::uint8_t> packed_payload_;  // the DATA payloads of one packed message, joined
  bool started_ = false;
  bool transport_open_ = false;
  bool opening_ = false;                  // an open was asked for and has not completed
  bool opening_reconnect_ = false;
  bool awaiting_hello_ = false;           // open, waiting for CONNECT_SUCCESS or RECONNECT_SUCCESS
  bool credentials_retried_ = false;      // since the last hello
  std::optional<OpenTransport> pending_open_;
  std::optional<TimePoint> attempt_at_;   // the next reconnect attempt
  std::optional<TimePoint> hello_deadline_;  // the current open must have got its hello by then
  bool abandon_ = false;
  std::string last_error_;
  std::optional<TimePoint> ack_deadline_; // a held partial ACK batch goes out then
  std::uint64_t ack_flushed_at_ = 0;
  std::uint64_t reconnects_ = 0;
  bool local_eof_ = false;
  ClientSessionEnding ending_;
};

}  // namespace sshrelay
