#pragma once
// One registered tunnel, the rules between the relay and the tunnel's client (sans-I/O, time passed in):
// requests to the tunnel's subdomain go out as http_request and wait for their http_response (60 s, then
// 504); connections to its raw port go out as tcp_open, their bytes as binary frames, and end with
// tcp_close from either side; at most `max_connections` at once (wsproxy: 100, then the connection is
// closed at once without a tcp_open). When the tunnel's WebSocket ends, every waiting request is answered
// 502 and every connection closed.
//
// The channel decides; the daemon acts. It pulls what to send on the WebSocket with next_message() and
// what to do with sockets and waiting requests with next_event(); next_deadline()/on_timeout(now) bound
// the waits. Ids are 6 random bytes in hex, passed in.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/common/fifo.hpp"
#include "core/common/time.hpp"
#include "core/tunnel/tunnel_messages.hpp"

namespace sshrelay::tunnel {

struct ChannelLimits {
  Duration response_timeout = std::chrono::seconds(60);
  std::size_t max_connections = 100;
  std::size_t max_body = 10 * 1024 * 1024;  // decoded response body
};

inline constexpr std::size_t kRandomBytesPerId = 6;

// A text (JSON) or binary message for the tunnel's WebSocket.
struct OutMessage {
  bool binary = false;
  std::vector<std::uint8_t> bytes;
};

// The answer to a request the daemon is holding: from the tunnel client, or made by the channel (502,
// 504) with `body` saying why in words.
struct HttpAnswer {
  std::string id;
  int status = 0;
  HeaderList headers;  // already filtered (header_filter.hpp)
  std::string body;
};
// Bytes from the tunnel client for a raw-port connection.
struct ConnectionData {
  std::string conn_id;
  std::vector<std::uint8_t> bytes;
};
// Close this raw-port connection (the client said so, or the tunnel ended).
struct CloseConnection {
  std::string conn_id;
};
using ChannelEvent = std::variant<HttpAnswer, ConnectionData, CloseConnection>;

// An answer the relay makes itself (502, 504): `body` in plain text.
HttpAnswer plain_answer(std::string id, int status, std::string body);

class TunnelChannel {
 public:
  explicit TunnelChannel(ChannelLimits limits = {});

  // A request for the tunnel (headers already filtered): its id, under which the answer comes. Nothing
  // once the tunnel has ended (answer 502 then) or when `random` is short.
  std::optional<std::string> start_request(TimePoint now, std::string method, std::string path, HeaderList headers,
                                           std::string body, std::span<const std::uint8_t> random);

  // A connection accepted on the tunnel's port: its id, or nothing when the tunnel is at its cap or ended
  // (close the socket at once, no tcp_open is sent).
  std::optional<std::string> open_connection(std::span<const std::uint8_t> random);
  // Bytes read from that connection, and its end (EOF, error, or closed by the daemon): each is said to
  // the client, a connection's end only once.
  void connection_data(const std::string& conn_id, std::span<const std::uint8_t> bytes);
  void connection_closed(const std::string& conn_id);

  // Messages from the tunnel client.
  void on_text(std::string_view text);
  void on_binary(std::span<const std::uint8_t> message);
  // The WebSocket is gone.
  void on_ended();
  bool ended() const { return ended_; }

  std::optional<TimePoint> next_deadline() const;
  void on_timeout(TimePoint now);

  std::optional<OutMessage> next_message();
  std::optional<ChannelEvent> next_event();

  std::size_t waiting_requests() const { return waiting_.size(); }
  std::size_t open_connections() const { return connections_.size(); }
  std::uint64_t requests_started() const { return requests_started_; }
  std::uint64_t connections_opened() const { return connections_opened_; }

 private:
  std::optional<std::string> new_id(std::span<const std::uint8_t> random) const;
  void answer(const std::string& id, int status, std::string body);
  void on_response(HttpResponse response);

  ChannelLimits limits_;
  std::map<std::string, TimePoint> waiting_;  // request id -> when it times out
  std::set<std::string> connections_;
  Fifo<OutMessage> messages_;
  Fifo<ChannelEvent> events_;
  bool ended_ = false;
  std::uint64_t requests_started_ = 0;
  std::uint64_t connections_opened_ = 0;
};

}  // namespace sshrelay::tunnel
