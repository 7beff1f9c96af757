#pragma once
// The client's side of one tunnel (wsproxy's /tunnel, or ours with streams), sans-I/O: what the relay
// says becomes events — where the tunnel is reached, a connection to open to the shared service, bytes
// for it, its end, and (without streams) a whole HTTP request to answer — and what the client does
// becomes the messages to send: bytes from the service as binary frames, tcp_close once per connection,
// http_response. The browser's "Share a port" (wasm/port_share) drives it; ids and frames are checked
// here once, the way the relay checks them (tunnel_messages.hpp, tunnel_frame.hpp).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/common/fifo.hpp"
#include "core/tunnel/tunnel_channel.hpp"
#include "core/tunnel/tunnel_messages.hpp"

namespace sshrelay::tunnel {

// Open a connection to the shared service for `conn_id` (tcp_open: a raw-port visitor, or with streams
// any visitor).
struct OpenConnection {
  std::string conn_id;
};
using ClientEvent = std::variant<TunnelReady, OpenConnection, ConnectionData, CloseConnection, HttpRequest>;

class TunnelClient {
 public:
  // From the relay.
  void on_text(std::string_view text);
  void on_binary(std::span<const std::uint8_t> message);

  // From the service: bytes read from `conn_id`'s connection, and its end (EOF, error, refused). Ignored
  // for a connection that is not open (the relay closed it first).
  void send(const std::string& conn_id, std::span<const std::uint8_t> bytes);
  void closed(const std::string& conn_id);
  // Without streams: the answer to an HttpRequest event.
  void answer(const HttpResponse& response);

  std::optional<ClientEvent> next_event();
  std::optional<OutMessage> next_message();

  const std::optional<TunnelReady>& ready() const { return ready_; }
  std::size_t open_connections() const { return open_.size(); }
  std::uint64_t connections_opened() const { return connections_opened_; }
  std::uint64_t requests() const { return requests_; }  // http_request messages answered or not
  std::uint64_t bytes_in() const { return bytes_in_; }    // from the relay, payload bytes
  std::uint64_t bytes_out() const { return bytes_out_; }  // to the relay, payload bytes

 private:
  std::optional<TunnelReady> ready_;
  std::set<std::string> open_;
  Fifo<ClientEvent> events_;
  Fifo<OutMessage> messages_;
  std::uint64_t connections_opened_ = 0;
  std::uint64_t requests_ = 0;
  std::uint64_t bytes_in_ = 0;
  std::uint64_t bytes_out_ = 0;
};

}  // namespace sshrelay::tunnel
