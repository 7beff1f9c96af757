#pragma once
// One corp-relay-v4 session seen from the client: a local byte stream (an SSH client's socket, or
// stdin/stdout) tunnelled through the relay to a target, resumed losslessly across network drops.
//
//   local ──read──▶ ResumeStream::send()          next_message() ──one writer──▶ WebSocket
//   local ◀─write── PayloadReceived, delivered()  receive() ◀──────reader────── WebSocket
//
// Backpressure both ways: the local side is read only while stream.can_send() (unacked bytes below the
// replay cap), and the WebSocket is read only when the previous payload has been written to the local
// side, so a slow local reader slows the relay (and the target behind it) instead of growing a queue.
//
// Ends of a session:
// - The relay sends a close frame (1000 after target EOF, 1012 on restart, 44xx refusals...): every byte
//   received before it has already been written locally; the local side gets EOF, and the completion
//   handler runs with an empty error_code and the relay's code and reason.
// - The transport fails without a close frame (read/write error, reset, idle timeout, drop_transport()):
//   the session is resumed with /v4/reconnect?sid=S&ack=<bytes received>, retrying with bounded
//   exponential backoff and jitter; after RECONNECT_SUCCESS the core retransmits every byte the relay
//   did not receive. Giving up (the total time budget is spent, or the relay refuses the upgrade with a
//   4xx status) completes with an error. A drop before CONNECT_SUCCESS cannot be resumed (no sid).
// - Local EOF: v4 has no half-close, so the client stops reading locally but keeps the session open until
//   the relay closes it (for SSH that happens as soon as sshd closes, which follows the client's
//   disconnect). A local read or write error closes the session (close 1000) with errc::local_side_closed.
// - stop(): close 1000 and complete with errc::stopped.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/system/error_code.hpp>

#include "core/resume_stream.hpp"
#include "native/client/client_error.hpp"
#include "native/client/local_stream.hpp"
#include "native/client/relay_url.hpp"
#include "native/client/ws_transport.hpp"

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
  std::size_t replay_cap = 4 << 20;  // unacked local bytes kept for retransmission
  std::chrono::milliseconds backoff_base{100};
  std::chrono::milliseconds backoff_max{2000};
  std::chrono::milliseconds reconnect_budget{120000};  // total time spent reconnecting after one drop
  std::size_t local_read_size = 64 * 1024;
  // Diagnostics, one line per call (connects, drops, reconnects, closes). May be empty.
  std::function<void(const std::string&)> log;
  // Credentials that change over time (e.g. `sshrelay --token-cmd`, re-run once its token expired):
  // called before every WebSocket open, the first connect and each reconnect attempt, for request headers
  // sent after transport.headers (a same-named one replaces it). `refused` is true when the relay has just
  // refused the previous attempt's credentials (HTTP 401/403 to the upgrade, or close 4401 before
  // CONNECT_SUCCESS/RECONNECT_SUCCESS): fetch fresh ones; such a refusal is retried once. The hook must
  // call `done` exactly once, from any thread. A non-empty error ends a first connect with
  // errc::credentials_unavailable and counts as a failed attempt while reconnecting. When set, nothing
  // is written on the first connection before CONNECT_SUCCESS, so a refused first connect can be retried
  // without losing the bytes already read locally. May be empty.
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

  // Opens /v4/connect and starts tunnelling. The handler runs once, on the strand, after the local side
  // has been closed. Call once. May be called from any thread.
  void start(CompletionHandler handler);
  // Closes the session (close frame 1000) and completes with errc::stopped. Any thread.
  void stop();
  // Test hook: resets the current TCP connection to the relay (no close frame), as a network failure
  // would. The session then resumes. Any thread.
  void drop_transport();
  // Sends a WebSocket ping on the current connection, unless there is none or a ping is outstanding;
  // rtt() reports the round trip once the pong arrives. Any thread.
  void measure_rtt();

  // Observers, safe from any thread.
  std::string session_id() const;            // empty until CONNECT_SUCCESS
  std::uint64_t reconnects() const { return reconnects_.load(); }      // successful resumes
  std::uint64_t bytes_from_local() const { return bytes_from_local_.load(); }  // read locally, sent on
  std::uint64_t bytes_to_local() const { return bytes_to_local_.load(); }      // written locally
  bool finished() const { return completed_.load(); }
  // The last measured WebSocket round trip (see measure_rtt()); nullopt before the first pong.
  std::optional<std::chrono::microseconds> rtt() const;
  // The completion's arguments once finished.
  std::optional<std::pair<boost::system::error_code, CloseInfo>> result() const;

 private:
  void open_transport(bool reconnect, bool refused = false);
  void open_with_headers(bool reconnect, const std::string& error, const HeaderList& headers);
  bool retry_refused_credentials(bool reconnect);
  void on_ping_done(const std::shared_ptr<WsTransport>& t);
  void on_open(const std::shared_ptr<WsTransport>& t, bool reconnect, boost::system::error_code ec,
               const OpenResult& result);

  void do_local_read();
  void on_local_read(boost::system::error_code ec, std::size_t n);
  void do_ws_write();
  void on_ws_write(const std::shared_ptr<WsTransport>& t, boost::system::error_code ec);
  void do_ws_read();
  void on_ws_read(const std::shared_ptr<WsTransport>& t, boost::system::error_code ec);
  void on_local_write(boost::system::error_code ec, std::size_t n);

  void on_drop(boost::system::error_code ec, const std::string& what);
  void schedule_reconnect(const std::string& last_error);
  bool fatal_open_error(boost::system::error_code ec, const OpenResult& result) const;

  // Sends a close frame (bounded by the handshake timeout), then finish().
  void close_relay_then_finish(boost::beast::websocket::close_code code, std::string reason,
                               boost::system::error_code ec, std::string detail);
  void finish(boost::system::error_code ec, CloseInfo info);
  void drain_local();
  void complete();

  void log(const std::string& line) const;

  boost::asio::any_io_executor strand_;
  std::unique_ptr<LocalStream> local_;
  ConnectionOptions options_;
  ResumeStream stream_;
  std::shared_ptr<WsTransport> transport_;
  bool transport_open_ = false;
  boost::asio::steady_timer backoff_timer_;
  boost::asio::steady_timer linger_timer_;
  std::vector<std::uint8_t> local_buffer_;
  std::minstd_rand rng_;

  CompletionHandler handler_;
  bool started_ = false;
  bool local_reading_ = false;
  bool local_eof_ = false;
  bool local_writing_ = false;
  bool ws_reading_ = false;
  bool ws_writing_ = false;
  bool closing_ = false;    // we sent (or are sending) a close frame
  bool finished_ = false;   // the outcome is decided; the local side is being wound down
  bool reconnecting_ = false;
  bool connected_ = false;     // CONNECT_SUCCESS arrived
  bool auth_retried_ = false;  // a credentials refusal was retried since the last (re)connect succeeded
  std::shared_ptr<WsTransport> ping_transport_;  // where our ping is being written
  std::function<void()> close_after_ping_;       // a close frame waits for that ping (Beast's rule)
  unsigned attempt_ = 0;
  std::chrono::steady_clock::time_point reconnect_deadline_;
  std::chrono::steady_clock::time_point dropped_at_;
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
