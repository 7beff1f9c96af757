#include "core/tunnel/tunnel_channel.hpp"
#include "core/common/hex.hpp"

#include "core/common/base64.hpp"
#include "core/common/take_front.hpp"
#include "core/tunnel/header_filter.hpp"
#include "core/tunnel/tunnel_frame.hpp"

namespace sshrelay::tunnel {
namespace {

OutMessage text_message(const std::string& json) { return {false, std::vector<std::uint8_t>(json.begin(), json.end())}; }

}  // namespace

HttpAnswer plain_answer(std::string id, int status, std::string body) {
  return HttpAnswer{std::move(id), status, {{"Content-Type", "text/plain; charset=utf-8"}}, std::move(body)};
}

TunnelChannel::TunnelChannel(ChannelLimits limits) : limits_(limits) {}

std::optional<std::string> TunnelChannel::new_id(std::span<const std::uint8_t> random) const {
  if (random.size() < kRandomBytesPerId) return std::nullopt;
  auto id = lower_hex(random.first(kRandomBytesPerId));
  // 48 random bits: a repeat among the few ids alive at once is all but impossible, but must not mix
  // two requests' answers up if it happens.
  if (waiting_.contains(id) || connections_.contains(id)) return std::nullopt;
  return id;
}

std::optional<std::string> TunnelChannel::start_request(TimePoint now, std::string method, std::string path,
                                                        HeaderList headers, std::string body,
                                                        std::span<const std::uint8_t> random) {
  if (ended_) return std::nullopt;
  auto id = new_id(random);
  if (!id) return std::nullopt;
  HttpRequest request{*id, std::move(method), std::move(path), std::move(headers), std::move(body)};
  messages_.push_back(text_message(to_json(request)));
  waiting_.emplace(*id, now + limits_.response_timeout);
  ++requests_started_;
  return id;
}

std::optional<std::string> TunnelChannel::open_connection(std::span<const std::uint8_t> random) {
  if (ended_ || connections_.size() >= limits_.max_connections) return std::nullopt;
  auto id = new_id(random);
  if (!id) return std::nullopt;
  connections_.insert(*id);
  messages_.push_back(text_message(to_json(TcpOpen{*id})));
  ++connections_opened_;
  return id;
}

void TunnelChannel::connection_data(const std::string& conn_id, std::span<const std::uint8_t> bytes) {
  if (ended_ || bytes.empty() || !connections_.contains(conn_id)) return;
  messages_.push_back({true, encode_frame(conn_id, bytes)});
}

void TunnelChannel::connection_closed(const std::string& conn_id) {
  if (connections_.erase(conn_id) == 0 || ended_) return;
  messages_.push_back(text_message(to_json(TcpClose{conn_id})));
}

void TunnelChannel::answer(const std::string& id, int status, std::string body) {
  if (waiting_.erase(id) == 0) return;
  events_.push_back(plain_answer(id, status, std::move(body)));
}

void TunnelChannel::on_response(HttpResponse response) {
  if (!waiting_.contains(response.id)) return;  // unknown, answered already or timed out
  if (response.status < 100 || response.status > 999) {
    answer(response.id, 502, "the tunnel answered with an invalid status " + std::to_string(response.status) + "\n");
    return;
  }
  std::string body;
  if (response.body_encoding == "base64") {
    auto decoded = base64_decode(response.body);
    if (!decoded) {
      answer(response.id, 502, "the tunnel's response body is not valid base64: " + decoded.error().message + "\n");
      return;
    }
    body.assign(decoded->begin(), decoded->end());
  } else if (response.body_encoding.empty()) {
    body = std::move(response.body);
  } else {
    answer(response.id, 502, "the tunnel's response body has an unknown encoding \"" + response.body_encoding + "\"\n");
    return;
  }
  if (body.size() > limits_.max_body) {
    answer(response.id, 502, "the tunnel's response body is over " + std::to_string(limits_.max_body) + " bytes\n");
    return;
  }
  waiting_.erase(response.id);
  events_.push_back(HttpAnswer{response.id, static_cast<int>(response.status), acceptable_response_headers(response.headers),
                               std::move(body)});
}

void TunnelChannel::on_text(std::string_view text) {
  if (ended_) return;
  auto message = parse_client_message(text);
  if (!message) return;
  if (auto* response = std::get_if<HttpResponse>(&*message)) {
    on_response(std::move(*response));
  } else if (const auto* close = std::get_if<TcpClose>(&*message)) {
    if (connections_.erase(close->conn_id) != 0) events_.push_back(CloseConnection{close->conn_id});
  }
}

void TunnelChannel::on_binary(std::span<const std::uint8_t> message) {
  if (ended_) return;
  const auto frame = decode_frame(message);
  if (!frame || frame->payload.empty()) return;
  const std::string id(frame->conn_id);
  if (!connections_.contains(id)) return;
  events_.push_back(ConnectionData{id, std::vector<std::uint8_t>(frame->payload.begin(), frame->payload.end())});
}

void TunnelChannel::on_ended() {
  if (ended_) return;
  std::vector<std::string> waiting;
  for (const auto& [id, deadline] : waiting_) waiting.push_back(id);
  for (const auto& id : waiting) answer(id, 502, "tunnel disconnected\n");
  for (const auto& id : connections_) events_.push_back(CloseConnection{id});
  connections_.clear();
  ended_ = true;
}

std::optional<TimePoint> TunnelChannel::next_deadline() const {
  std::optional<TimePoint> next;
  for (const auto& [id, deadline] : waiting_) {
    if (!next || deadline < *next) next = deadline;
  }
  return next;
}

void TunnelChannel::on_timeout(TimePoint now) {
  std::vector<std::string> due;
  for (const auto& [id, deadline] : waiting_) {
    if (deadline <= now) due.push_back(id);
  }
  for (const auto& id : due) answer(id, 504, "tunnel response timeout\n");
}

std::optional<OutMessage> TunnelChannel::next_message() { return take_front(messages_); }

std::optional<ChannelEvent> TunnelChannel::next_event() { return take_front(events_); }

}  // namespace sshrelay::tunnel
