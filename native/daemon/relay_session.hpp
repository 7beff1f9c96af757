#pragma once
// One corp-relay-v4 session: a target TCP connection that outlives the client's WebSockets. The session
// owns the target socket, the core ResumeStream and whichever WebSocket is attached; everything runs on
// the session's strand (WebSocket handlers are bound to it, whichever connection strand accepted them).
//
// Backpressure both ways, one writer per stream:
//  - down (target -> client): the target is read only while the stream's unacked bytes are under the
//    per-session cap and the global budget has room; ACKs from the client free both.
//  - up (client -> target): the next WebSocket message is read only after the previous payload was
//    written to the target.
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/resume_stream.hpp"
#include "core/session_lifetime.hpp"
#include "core/target.hpp"
#include "native/daemon/client_socket.hpp"
#include "native/daemon/relay_context.hpp"

namespace sshrelay::daemon {

// The far end of one WebSocket, for the log and the audit trail.
struct ClientPeer {
  std::string address;     // the user's address: X-Forwarded-For from a trusted proxy, else the TCP peer
  std::uint16_t port = 0;  // the TCP peer's port when that is the user (0 behind a proxy)
  std::string text;        // the TCP peer "ip:port", for log lines
  std::string path;        // the request target (/v4/connect?...), for the audit trail, which redacts it
};

// Who opened the session and what for: fixed for its lifetime.
struct SessionOwner {
  std::string principal;    // the verified identity: only it may reconnect
  std::string target_user;  // dstUsername from /v4/connect (informational)
};

class RelaySession : public std::enable_shared_from_this<RelaySession> {
 public:
  RelaySession(RelayContext& ctx, Strand strand, tcp::socket target, Target target_name, std::string sid,
               SessionOwner owner, std::unique_ptr<PortLease> source_port);

  const std::string& sid() const { return sid_; }
  const std::string& principal() const { return owner_.principal; }
  bool attached() const { return attached_.load(); }

  // Attaches an upgraded WebSocket: a fresh connect (resume_ack empty) or a reconnect from the client's
  // ack. Any previous socket is evicted first. Safe from any thread.
  void attach(std::shared_ptr<ClientSocket> ws, std::optional<std::uint64_t> resume_ack, ClientPeer peer);
  // Ends the session with a close frame to the attached client (if any). Safe from any thread.
  void shutdown(std::uint16_t code, std::string reason);

 private:
  void on_attach(std::shared_ptr<ClientSocket> ws, std::optional<std::uint64_t> resume_ack, ClientPeer peer);
  void do_ws_read();
  void on_ws_read(std::shared_ptr<ClientSocket> ws, std::uint64_t generation, boost::system::error_code ec, std::size_t n);
  void do_ws_write();
  void on_ws_write(std::shared_ptr<ClientSocket> ws, std::uint64_t generation, boost::system::error_code ec);
  void do_target_read();
  void on_target_readable(boost::system::error_code ec);
  void on_target_write(std::shared_ptr<ClientSocket> ws, boost::system::error_code ec, std::size_t n);
  void on_budget_retry(boost::system::error_code ec);
  void transport_lost(const std::string& why);
  void on_grace_timer(boost::system::error_code ec);
  void arm_liveness_timer();
  void on_liveness_timer(std::uint64_t generation, boost::system::error_code ec);
  void finish(std::uint16_t code, std::string reason);
  void settle_budget();
  void close_target();
  // An audit event of `type` with everything the session knows about itself.
  AuditEvent audit_event(AuditEventType type) const;

  RelayContext& ctx_;
  Strand strand_;
  tcp::socket target_;
  std::unique_ptr<PortLease> source_port_;  // the pinned outbound port, if any: freed when the target closes
  Target target_name_;
  std::string sid_;
  SessionOwner owner_;
  ClientPeer peer_;
  tcp::endpoint target_endpoint_;  // the address dialed, and the relay's end (for the firewall's view):
  tcp::endpoint relay_endpoint_;   //   kept, as the socket forgets them once closed
  std::chrono::steady_clock::time_point started_at_;
  ResumeStream stream_;
  SessionLifetime lifetime_;
  net::steady_timer grace_timer_;
  net::steady_timer budget_timer_;
  // Liveness of the attached socket, checked once per --ping-seconds rather than by Beast's idle timer
  // (which re-arms a timerfd on every message): a quiet interval earns a ping, a second quiet one
  // with the ping unanswered ends the socket (the session then waits for a reconnect).
  net::steady_timer liveness_timer_;
  bool heard_from_client_ = false;  // any message or pong since the last tick
  bool ping_unanswered_ = false;
  bool ping_writing_ = false;       // Beast allows one control frame at a time: a close waits for it

  std::shared_ptr<ClientSocket> ws_;  // the attached socket; null while detached
  std::uint64_t generation_ = 0;      // bumped on every attach/detach: stale handlers recognise themselves
  std::atomic<bool> attached_{false};
  bool ws_reading_ = false;
  bool ws_writing_ = false;
  bool finished_ = false;    // no more data either way; a close frame follows if a socket is attached
  bool close_sent_ = false;
  std::uint16_t final_code_ = 0;
  std::string final_reason_;

  bool target_writing_ = false;
  bool target_reading_ = false;
  bool target_eof_ = false;  // close 1000 once every byte read from the target is written
  std::string target_close_reason_;
  std::size_t budget_charged_ = 0;  // bytes of the global budget this session holds
  std::uint64_t ack_flushed_at_ = 0;  // bytes delivered when an ACK was last let out
};

}  // namespace sshrelay::daemon
