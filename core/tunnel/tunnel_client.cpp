#include "core/tunnel/tunnel_client.hpp"

#include "core/common/take_front.hpp"
#include "core/tunnel/tunnel_frame.hpp"

namespace sshrelay::tunnel {
namespace {

OutMessage text_message(const std::string& json) { return OutMessage{false, {json.begin(), json.end()}}; }

}  // namespace

void TunnelClient::on_text(std::string_view text) {
  auto message = parse_relay_message(text);
  if (!message) return;  // what the client does not know is ignored, as the relay ignores ours
  if (auto* ready = std::get_if<TunnelReady>(&*message)) {
    ready_ = *ready;
    events_.push_back(std::move(*ready));
  } else if (auto* open = std::get_if<TcpOpen>(&*message)) {
    if (!open_.insert(open->conn_id).second) return;  // already open: a relay bug, not a second connection
    ++connections_opened_;
    events_.push_back(OpenConnection{open->conn_id});
  } else if (auto* close = std::get_if<TcpClose>(&*message)) {
    if (open_.erase(close->conn_id) == 0) return;
    events_.push_back(CloseConnection{close->conn_id});
  } else if (auto* request = std::get_if<HttpRequest>(&*message)) {
    ++requests_;
    events_.push_back(std::move(*request));
  }
}

void TunnelClient::on_binary(std::span<const std::uint8_t> message) {
  const auto frame = decode_frame(message);
  if (!frame || frame->payload.empty()) return;
  const std::string id(frame->conn_id);
  if (!open_.contains(id)) return;
  bytes_in_ += frame->payload.size();
  events_.push_back(ConnectionData{id, {frame->payload.begin(), frame->payload.end()}});
}

void TunnelClient::send(const std::string& conn_id, std::span<const std::uint8_t> bytes) {
  if (bytes.empty() || !open_.contains(conn_id)) return;
  bytes_out_ += bytes.size();
  messages_.push_back(OutMessage{true, encode_frame(conn_id, bytes)});
}

void TunnelClient::closed(const std::string& conn_id) {
  if (open_.erase(conn_id) == 0) return;
  messages_.push_back(text_message(to_json(TcpClose{conn_id})));
}

void TunnelClient::answer(const HttpResponse& response) { messages_.push_back(text_message(to_json(response))); }

std::optional<ClientEvent> TunnelClient::next_event() { return take_front(events_); }

std::optional<OutMessage> TunnelClient::next_message() { return take_front(messages_); }

}  // namespace sshrelay::tunnel
