#pragma once
// One relay session seen from the client: a local byte stream (an SSH client's socket, or
// stdin/stdout) tunnelled through the relay to a target. This is the I/O driver of a core client
// session machine (core/session): corp-relay-v4 (V4ClientSession: resumed losslessly across network
// drops, by the one reconnect policy the page uses too) or the plain /relay shape (RawClientSession:
// nothing resumes). The machine decides; this class opens WebSockets, moves bytes and keeps one timer.
//
//   local ──read──▶ on_local_data()        next_relay_message() ──one writer──▶ WebSocket
//   local ◀─write── on_relay_message()     on_delivered()        ◀──reader──── WebSocket
//
// Backpressure both ways: the local side is read only while the machine can accept bytes (unacked
// bytes below the replay cap), and the WebSocket is read only when the previous payload has been
// written to the local side, so a slow local reader slows the relay (and the target behind it).
//
// How sessions end is the machine's rule (see core/session/v4_client_session.hpp); the completion
// handler gets it as an error_code (empty when the relay closed the session) and the relay's close code
// and reason. Local EOF: v4 has no half-close, so the client stops reading locally but keeps the session
// open until the relay closes it (for SSH that follows the client's disconnect at once).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "core/session/client_session.hpp"
#include "core/session/reconnect_policy.hpp"
#include "native/client/client_error.hpp"
#include "native/client/local_stream.hpp"
#include "native/client/relay_url.hpp"
#include "native/client/ws_transport.hpp"
#include "native/common/deadline_timer.hpp"

namespace sshrelay::client {

// How the session ended. code/reason come from the relay's close frame (code 0: none was received).
struct CloseInfo {
  std::uint16_t code = 0;
  std::string reason;
  std::string detail;  // human text when the error_code is set: what failed, the relay's HTTP answer...
  unsigned http_status = 0;  // the relay's HTTP status when it refused the upgrade (errc::upgrade_refused)
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct ConnectionOptions {
  TransportOptions transport;
  TargetSpec target;
  RelayShape shape = RelayShape::v4;
  std::size_t replay_cap = 4 << 20;  // unacked local bytes kept for retransmission
  ReconnectPolicyConfig reconnect;   // backoff and the total time spent reconnecting after one drop
  std::size_t local_read_size = 64 * 1024;
  // Diagnostics, one line per call (connects, drops, reconnects, closes). May be empty.
  std::function<void(const std::string&)> log;
  // Credentials that change over time (e.g. `sshrelay --token-cmd`, re-run once its token expired):
  // called before every WebSocket open, the first connect and each reconnect attempt, for request headers
  // sent after transport.headers (a same-named one replaces it). `refused` is true when the relay has just
  // refused the previous attempt's credentials: fetch fresh ones (the machine retries such a refusal
  // once). The hook must call `done` exactly once, from any thread. A non-empty error ends a first
  // connect with errc::credentials_unavailable and counts as a failed attempt while reconnecting. When
  // set, nothing is written on the first connection before CONNECT_SUCCESS, so a refused first connect
  // can be retried without losing the bytes already read locally. May be empty.
  using HeadersDone = std::function<void(std::string error, HeaderList headers)>;
  std::function<void(bool refused, HeadersDone done)> refresh_headers;
  // Runs on the strand as soon as the session's outcome is decided (the completion's arguments), before
  // the local side is wound down: a ProxyCommand can explain the ending while ssh still listens. May be
  // empty.
  std::function<void(boost::system::error_code, const CloseInfo&)> on_outcome;
};

class RelayConnection : public std::enable_shared_from_this<RelayConnection> {
 public:
  using CompletionHandler = std::function<void(boost::system::error_code, CloseInfo)>;

  // The connection adopts local->get_executor() (a strand) for all of its work.
  RelayConnection(std::unique_ptr<LocalStream> local, ConnectionOptions options);
  ~RelayConnection();
  RelayConnection(const RelayConnection&) = delete;
  RelayConnection& operator=(const RelayConnection&) = delete;

  // Opens the session and starts tunnelling. The handler runs once, on the strand, after the local side
  // has been closed. Call once. May be called from any thread.
  void start(CompletionHandler handler);
  // Closes the session (close frame 1000) and completes with errc::stopped. Any thread.
  void stop();
  // Test hook: resets the current TCP connection to the relay (no close frame), as a network failure
  // would. A v4 session then resumes. Any thread.
  void drop_transport();
  // Sends a WebSocket ping on the current connection, unless there is none or a ping is outstanding;
  // rtt() reports the round trip once the pong arrives. Any thread.
  void measure_rtt();

  // Observers, safe from any thread.
  std::string session_id() const;  // empty until CONNECT_SUCCESS (always, for the raw shape)
  std::uint64_t reconnects() const { return reconnects_.load(); }               // successful resumes
  std::uint64_t bytes_from_local() const { return bytes_from_local_.load(); }  // read locally, sent on
  std::uint64_t bytes_to_local() const { return bytes_to_local_.load(); }      // written locally
  bool finished() const { return completed_.load(); }
  // The last measured WebSocket round trip (see measure_rtt()); nullopt before the first pong.
  std::optional<std::chrono::microseconds> rtt() const;
  // The completion's arguments once finished.
  std::optional<std::pair<boost::system::error_code, CloseInfo>> result() const;

 private:
  // Acts on everything the machine asks for after an input: events, abandoned or new transports, the
  // outcome, writes, reads and the deadline timer.
  void pump();
  void report(const ClientEvent& event);
  void arm_timer();

  void open_transport(const OpenTransport& open);
  void open_with_headers(const OpenTransport& open, const std::string& error, const HeaderList& headers);
  void on_open(const std::shared_ptr<WsTransport>& t, boost::system::error_code ec, const OpenResult& result);
  void on_ping_done(const std::shared_ptr<WsTransport>& t);
  void transport_lost(const std::string& why);

  void do_local_read();
  void on_local_read(boost::system::error_code ec, std::size_t n);
  void do_ws_write();
  void on_ws_write(const std::shared_ptr<WsTransport>& t, boost::system::error_code ec);
  void do_ws_read();
  void on_ws_read(const std::shared_ptr<WsTransport>& t, boost::system::error_code ec);
  void on_local_write(boost::system::error_code ec, std::size_t n);

  // The machine has an outcome: send its close frame, if any, then finish().
  void conclude();
  void finish();
  std::pair<boost::system::error_code, CloseInfo> completion_of(const ClientOutcome& outcome) const;
  void drain_local();
  void complete();

  void log(const std::string& line) const;

  boost::asio::any_io_executor strand_;
  std::unique_ptr<LocalStream> local_;
  ConnectionOptions options_;
  std::unique_ptr<ClientSession> machine_;
  std::shared_ptr<WsTransport> transport_;  // opening, or open while machine_->transport_open()
  boost::system::error_code open_error_;    // why the last open failed, for the outcome
  native::DeadlineTimer deadline_timer_;  // at the machine's next deadline
  boost::asio::steady_timer linger_timer_;
  std::vector<std::uint8_t> local_buffer_;

  CompletionHandler handler_;
  // I/O in flight (the protocol's state is the machine's).
  bool started_ = false;
  bool local_reading_ = false;
  bool local_eof_ = false;
  bool local_writing_ = false;
  bool ws_reading_ = false;
  bool ws_writing_ = false;
  bool closing_ = false;   // the machine's close frame is being written
  bool finished_ = false;  // the outcome is handled; the local side is being wound down
  std::shared_ptr<WsTransport> ping_transport_;  // where our ping is being written
  std::function<void()> close_after_ping_;       // a close frame waits for that ping (Beast's rule)
  boost::system::error_code final_ec_;
  CloseInfo final_info_;

  mutable std::mutex mutex_;  // guards sid_ and result_ for observers on other threads
  std::string sid_;
  std::optional<std::pair<boost::system::error_code, CloseInfo>> result_;
  std::atomic<std::uint64_t> reconnects_{0};
  std::atomic<std::uint64_t> bytes_from_local_{0};
  std::atomic<std::uint64_t> bytes_to_local_{0};
  std::atomic<bool> completed_{false};
  std::atomic<std::int64_t> rtt_us_{-1};
};

}  // namespace sshrelay::client
