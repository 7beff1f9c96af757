#pragma once
// One tunnel (/tunnel, wsproxy's protocol): the client's WebSocket, core's TunnelChannel deciding, and
// the sockets it acts on — the raw port's listener and its connections — plus the visitors' requests
// waiting for their answers. Everything runs on the session's strand:
//
//   visitor ──HTTP──▶ HttpSession ──http_request()──▶ channel ──text──▶ client WebSocket
//   client WebSocket ──http_response──▶ channel ──HttpAnswer──▶ the waiting visitor's callback
//   raw-port connection ◀──bytes──▶ channel ◀──binary frames──▶ client WebSocket
//   streamed visitor    ◀──bytes──▶ channel ◀──binary frames──▶ client WebSocket (heads rewritten)
//
// Backpressure: raw-port connections are read only while less than kMaxQueued bytes wait to be written
// to the client; the client is read only while no raw-port connection has kMaxQueued bytes waiting for
// its socket. A tunnel that stays silent through three ping intervals is ended.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/common/fifo.hpp"
#include "core/tunnel/streamed_http.hpp"
#include "core/tunnel/tunnel_channel.hpp"
#include "core/tunnel/tunnel_registry.hpp"
#include "native/daemon/client_connection.hpp"
#include "native/daemon/relay_context.hpp"
#include "native/daemon/session.hpp"
#include "native/daemon/session_driver.hpp"
#include "native/daemon/tunnel/tunnel_http.hpp"

namespace sshrelay::daemon {

class TunnelSession final : public Session, public std::enable_shared_from_this<TunnelSession> {
 public:
  using AnswerHandler = std::function<void(tunnel::HttpAnswer)>;

  TunnelSession(RelayContext& ctx, Strand strand, SessionDescription description);

  const std::string& sid() const override { return description_.sid; }
  const std::string& principal() const override { return description_.principal; }
  std::string_view kind() const override { return "tunnel"; }
  bool attached() const override { return !ended_; }
  const std::string& rendezvous_leg() const override { return no_leg_; }
  void start(std::shared_ptr<ClientConnection> client, ClientPeer peer) override;
  void shutdown(std::uint16_t code, std::string reason) override;
  // A tunnel does not resume: its client registers a new one.
  void resume(std::shared_ptr<ClientConnection> client, std::uint64_t ack, ClientPeer peer) override;

  // A visitor's request (headers already filtered), from any thread; `done` runs on this session's strand
  // with the answer: the client's, or 502/504 said by the channel.
  void http_request(std::string method, std::string target, tunnel::HeaderList headers, std::string body, AnswerHandler done);

  // A visitor's connection for a tunnel that streams (tunnel_http.hpp): `first` (the request head the
  // relay wrote, and any body bytes already read) goes to the client first; `client_ip` holds one of its
  // --tunnel-max-http-per-ip slots until the connection ends. From any thread.
  void adopt_visitor(VisitorStream stream, std::vector<std::uint8_t> first, std::string client_ip);
  bool streams() const { return description_.tunnel_streams; }

  static constexpr std::size_t kMaxQueued = 1 << 20;

 private:
  // A raw-port connection, or a streamed visitor (plain or TLS): the same bytes both ways, except that a
  // visitor's answer is read through `response` (its heads checked and rewritten).
  struct RawConnection {
    explicit RawConnection(VisitorStream s) : stream(std::move(s)) {}
    VisitorStream stream;
    std::optional<tunnel::StreamedResponse> response;  // visitors only
    std::string visitor_ip;                            // visitors only
    bool answer_written = false;                       // visitors: the relay wrote its own 502
    Fifo<std::vector<std::uint8_t>> out;
    std::size_t queued = 0;
    bool writing = false;
    bool reading = false;
    bool closing = false;  // close once what is queued is written
    std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(32 * 1024);
  };

  void open_raw_port();
  void do_accept();
  void do_client_read();
  void on_client_read(boost::system::error_code ec, std::size_t n);
  void act();  // events of the channel -> sockets and waiters; its messages -> the client
  void deliver(tunnel::HttpAnswer answer);  // to the visitor waiting for it
  void queue_frame(ws::Opcode opcode, const std::vector<std::uint8_t>& payload);
  void do_client_write();
  void read_connections();
  void do_raw_read(const std::string& id);
  void do_raw_write(const std::string& id);
  void close_raw(const std::string& id);
  void answer_visitor_failure(RawConnection& connection, std::string why);  // 502, if nothing was answered
  void arm_timer();
  void on_timer();
  void end(std::uint16_t code, std::string reason);
  void on_read_while_closing(boost::system::error_code ec);
  void drop_client();
  AuditEvent audit_event(AuditEventType type) const;

  RelayContext& ctx_;
  Strand strand_;
  SessionDescription description_;
  ClientPeer peer_;
  std::string no_leg_;
  std::shared_ptr<ClientConnection> client_;
  tunnel::TunnelChannel channel_;
  tunnel::TunnelKey key_ = 0;
  std::string subdomain_;
  std::uint16_t raw_port_ = 0;
  std::optional<boost::asio::ip::tcp::acceptor> acceptor_;
  std::map<std::string, std::shared_ptr<RawConnection>> connections_;
  std::map<std::string, AnswerHandler> waiting_;
  std::uint64_t streamed_requests_ = 0;  // visitors taken as streams (requests too, in the audit trail)
  Fifo<std::vector<std::uint8_t>> to_client_;  // whole frames
  std::size_t to_client_bytes_ = 0;
  std::vector<std::vector<std::uint8_t>> writing_frames_;
  bool client_writing_ = false;
  bool client_reading_ = false;
  boost::asio::steady_timer timer_;
  TimePoint last_heard_{};
  TimePoint next_ping_{};
  TimePoint started_at_{};
  bool ended_ = false;
};

std::shared_ptr<Session> make_tunnel_session(RelayContext& ctx, Strand strand, SessionDescription description);

}  // namespace sshrelay::daemon
