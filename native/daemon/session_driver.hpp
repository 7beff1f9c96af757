#pragma once
// Runs one session machine from core (V4ServerSession for /v4, RawRelaySession for /relay) against real
// sockets: the only code in the daemon that owns a session's sockets and timer. Everything runs on the
// session's strand; the machine decides, the driver does what it says:
//
//   client WebSocket ──read (up to 256 KiB, many frames)──▶ ws::Reader ──messages──▶ machine
//                                                                          │ payloads of the whole read
//   target TCP ◀──────────── one gathered write ◀──────────────────────────┘
//   target TCP ──read──▶ machine ──next_client_output()*──▶ one gathered write of many frames ──▶ client
//
// Backpressure both ways: the target is read only while the machine wants data and the global replay
// budget has room; the client is read again only once the previous read's payloads reached the target.
// When the client's connection fails, what the kernel already received from it is still read, parsed and
// delivered before the machine hears of the loss: nothing the client sent is forgotten at a drop.
//
// A rendezvous leg has no TCP target: its LegLink (native/daemon/rendezvous/leg_link.hpp) stands in, and
// the other leg's client is its target. Payloads go to the link as they are parsed, and the client is
// read on until the link says it is saturated (core/rendezvous/leg_bridge.hpp says why a leg must not
// wait for its payloads to be taken before reading on).
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/common/fifo.hpp"
#include "core/audit/ssh_banner.hpp"
#include "core/policy/target.hpp"
#include "core/session/server_output.hpp"
#include "native/common/deadline_timer.hpp"
#include "native/daemon/client_connection.hpp"
#include "native/daemon/relay_context.hpp"
#include "native/daemon/rendezvous/leg_link.hpp"
#include "native/daemon/session.hpp"

namespace sshrelay::daemon {

// Who opened a session and what for: fixed for its lifetime.
struct SessionDescription {
  std::string sid;
  std::string principal;    // the verified identity: only it may reconnect
  std::string target_user;  // dstUsername from /v4/connect (informational)
  Target target;
  std::string kind;         // "v4", "relay"
  VouchedIdentity identity; // for the audit trail
  std::uint64_t dial_ms = 0;  // how long the target's TCP connect took
  std::string rendezvous_leg; // a rendezvous leg's "<id>/<slot>" (then there is no target)
  bool tunnel_streams = false;  // a tunnel whose visitors' HTTP goes as streams
  bool tunnel_stable_subdomain = false;  // a tunnel at its principal's stable subdomain
};

// The fields every event about a session carries: who, from where, which session and endpoint.
inline AuditEvent session_audit_event(AuditEventType type, const SessionDescription& description, const ClientPeer& peer) {
  AuditEvent event;
  event.type = type;
  event.principal = description.principal;
  description.identity.put_into(event);
  event.user_agent = peer.user_agent;
  event.source_ip = peer.address;
  event.source_port = peer.port;
  event.sid = description.sid;
  event.endpoint = description.kind;
  return event;
}

template <class Machine>
class SessionDriver final : public Session, public std::enable_shared_from_this<SessionDriver<Machine>> {
 public:
  SessionDriver(RelayContext& ctx, Strand strand, tcp::socket target, std::unique_ptr<PortLease> source_port,
                SessionDescription description, Machine machine);
  // A rendezvous leg: `leg` is its end of the pair, on `strand`.
  SessionDriver(RelayContext& ctx, Strand strand, std::shared_ptr<LegLink> leg, SessionDescription description,
                Machine machine);
  ~SessionDriver() override;
  // Runs pump() on the strand (the other leg of a pair moved bytes).
  void wake();

  const std::string& sid() const override { return description_.sid; }
  const std::string& principal() const override { return description_.principal; }
  std::string_view kind() const override { return description_.kind; }
  bool attached() const override { return attached_.load(); }
  const std::string& rendezvous_leg() const override { return description_.rendezvous_leg; }
  void shutdown(std::uint16_t code, std::string reason) override;
  void resume(std::shared_ptr<ClientConnection> client, std::uint64_t ack, ClientPeer peer) override;

  void start(std::shared_ptr<ClientConnection> client, ClientPeer peer) override;
  void hand_over(std::function<void(std::optional<HandedSession>)> done) override;
  // A session handed over by a predecessor process: attached to `client` (its socket moved too) when
  // the machine was restored attached, else detached, waiting for its client's reconnect.
  void adopt(std::uint32_t reconnects, std::shared_ptr<ClientConnection> client, ClientPeer peer);

 private:
  using Self = SessionDriver<Machine>;
  struct PendingAttach {
    std::shared_ptr<ClientConnection> client;
    std::optional<std::uint64_t> ack;
    ClientPeer peer;
  };

  void on_attach(std::shared_ptr<ClientConnection> client, std::optional<std::uint64_t> ack, ClientPeer peer);
  void pump();
  void handle_events();

  void do_client_read();
  void on_client_read(std::shared_ptr<ClientConnection> client, std::uint64_t generation, boost::system::error_code ec,
                      std::size_t n);
  void process_client_frames();
  void do_target_write();
  void on_target_write(std::shared_ptr<ClientConnection> writer, boost::system::error_code ec, std::size_t n);

  void do_client_write();
  void on_client_write(std::shared_ptr<ClientConnection> client, std::uint64_t generation, boost::system::error_code ec,
                       std::size_t messages);

  void do_target_read();
  void on_target_readable(boost::system::error_code ec);
  // One read of at most `max` target bytes, handed to the machine; returns the count (0 with `ec` set
  // when nothing came).
  std::size_t read_target(std::size_t max, boost::system::error_code& ec);

  void arm_timer();
  void on_timer();
  void begin_handover(std::function<void(std::optional<HandedSession>)> done);
  // Once nothing is in flight to the target: the session leaves (or stays, if it cannot move).
  void finish_handover_if_quiet();

  // The client's connection failed: read what it already sent, then tell the machine.
  void client_failed(std::string why);
  void finish_failed_transport();
  void drop_client();
  void on_ended(std::uint16_t code, const std::string& reason);
  void settle_budget();
  AuditEvent audit_event(AuditEventType type) const;
  TimePoint now() const { return std::chrono::steady_clock::now(); }

  RelayContext& ctx_;
  Strand strand_;
  tcp::socket target_;
  std::unique_ptr<PortLease> source_port_;  // the pinned outbound port, if any: freed with the target
  SessionDescription description_;
  Machine machine_;
  std::shared_ptr<LegLink> leg_;              // a rendezvous leg's pair; null for a TCP target
  rendezvous::MachineLeg<Machine> bridged_;   // the machine as the pair's bridge drives it
  bool leg_joined_ = false;
  tcp::endpoint target_endpoint_;  // the address dialed, and the relay's end: kept, as the socket forgets
  tcp::endpoint relay_endpoint_;   //   them once closed
  std::chrono::steady_clock::time_point started_at_;
  std::uint32_t reconnects_ = 0;                       // sockets that resumed the session
  SshBannerCapture client_banner_, target_banner_;     // the SSH version lines, for the audit trail

  std::shared_ptr<ClientConnection> client_;
  // Closed by our close frame while a read on it was pending: that read ends first, then it lingers
  // (Beast allows one read at a time on a stream).
  std::shared_ptr<ClientConnection> lingering_;
  bool lingering_close_received_ = false;  // its close frame came before ours
  std::uint64_t generation_ = 0;  // bumped whenever client_ changes: stale completions recognise themselves
  ClientPeer peer_;
  std::atomic<bool> attached_{false};
  bool client_reading_ = false;
  std::size_t client_read_size_;  // the next read's room (see kClientReadMin)
  bool client_writing_ = false;
  bool client_failing_ = false;  // draining a failed connection before the machine is told
  std::string failing_why_;
  bool close_written_ = false;   // our close frame is on its way: nothing more is written
  bool client_closing_ = false;  // the client sent its close frame: ours answers it
  std::optional<std::uint16_t> close_echo_;
  Fifo<std::vector<std::uint8_t>> control_out_;  // pongs and the close echo, encoded
  std::optional<PendingAttach> pending_attach_;

  // The client's payloads on their way to the target (views into the reader's buffer).
  std::vector<boost::asio::const_buffer> target_batch_;
  std::size_t target_batch_bytes_ = 0;
  bool target_writing_ = false;
  bool target_reading_ = false;
  bool target_closed_ = false;

  // One gathered write to the client: the WebSocket headers, and the payloads they frame in order:
  // write_header_payloads_[i] of them under write_headers_[i] (one, unless the client asked for packed
  // frames; a ping's payload is empty).
  std::vector<ws::FrameHeader> write_headers_;
  std::vector<std::size_t> write_header_payloads_;
  std::vector<FrameBytes> write_payloads_;
  std::vector<std::vector<std::uint8_t>> write_controls_;
  std::vector<boost::asio::const_buffer> write_buffers_;

  std::function<void(std::optional<HandedSession>)> handover_done_;  // set while handing over
  bool moving_client_ = false;          // ... and the client's socket goes too
  bool target_wait_cancelled_ = false;  // a cancel is on its way to the pending target wait
  bool client_read_cancelled_ = false;  // ... to the pending client read
  native::DeadlineTimer timer_;  // at the machine's next deadline
  net::steady_timer budget_timer_;
  std::size_t budget_charged_ = 0;
  bool ended_ = false;
};

}  // namespace sshrelay::daemon
