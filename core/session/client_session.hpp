#pragma once
// The surface every client session machine offers its driver — the CLI's RelayConnection, the wasm
// bindings and through them the page — so one driver loop runs either relay shape: corp-relay-v4
// (V4ClientSession, resumable) or the plain /relay endpoint (RawClientSession). Sans-I/O: the driver
// reports what happened (on_*) with the time, then pulls what to do (take_*, next_*), and calls
// on_timeout() at next_deadline().
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/common/result.hpp"
#include "core/common/time.hpp"
#include "core/session/client_session_types.hpp"
#include "core/session/server_output.hpp"

namespace sshrelay {

class ClientSession {
 public:
  virtual ~ClientSession() = default;

  // --- control ---
  virtual void start(TimePoint now) = 0;
  virtual void stop(TimePoint now) = 0;

  // --- the relay's WebSocket (the one take_open() asked for) ---
  virtual void on_open_succeeded(TimePoint now) = 0;
  virtual void on_open_failed(const OpenFailure& failure, TimePoint now) = 0;
  // The driver could not get credentials for the attempt take_open() asked for.
  virtual void on_credentials_unavailable(const std::string& why, TimePoint now) = 0;
  // A message from the relay. Returns payload for the application (a view into `message`): deliver it,
  // then call on_delivered().
  virtual std::optional<std::span<const std::uint8_t>> on_relay_message(std::span<const std::uint8_t> message,
                                                                        bool binary, TimePoint now) = 0;
  virtual void on_relay_closed(std::uint16_t code, const std::string& reason, TimePoint now) = 0;
  // The transport failed without a close frame (read/write error, reset, timeout).
  virtual void on_transport_lost(const std::string& why, TimePoint now) = 0;

  // --- the application ---
  virtual bool can_accept_local() const = 0;
  virtual Status on_local_data(std::span<const std::uint8_t> bytes, TimePoint now) = 0;
  virtual void on_delivered(std::size_t n, TimePoint now) = 0;
  virtual void on_local_failed(const std::string& why, TimePoint now) = 0;
  // The local side will send nothing more (EOF). Most sessions stay open until the relay closes them (the
  // target's end is the end); a rendezvous leg, whose other end is another client, ends itself.
  virtual void on_local_eof(TimePoint) {}

  // --- outputs ---
  virtual std::optional<OpenTransport> take_open() = 0;
  // The next message for the open transport (nothing while none is open or nothing may be written).
  virtual std::optional<FrameBytes> next_relay_message(TimePoint now) = 0;
  // A close frame to send on the open transport, once; the outcome is already decided.
  virtual std::optional<SendClose> take_close() = 0;
  // True once when the transport being opened (or open, awaiting the relay's hello) is abandoned: the
  // driver drops it without waiting for its completions.
  virtual bool take_abandon() = 0;
  virtual std::optional<ClientEvent> next_event() = 0;
  virtual std::optional<TimePoint> next_deadline() const = 0;
  virtual void on_timeout(TimePoint now) = 0;

  // --- state ---
  virtual bool transport_open() const = 0;
  bool finished() const { return outcome().has_value(); }
  virtual const std::optional<ClientOutcome>& outcome() const = 0;
  virtual const std::string& session_id() const = 0;  // empty until CONNECT_SUCCESS; always for /relay
  virtual std::uint64_t reconnects() const = 0;
};

}  // namespace sshrelay
