#include "wasm/port_share.hpp"

#include "wasm/forward_channel.hpp"
#include "wasm/ssh_driver.hpp"

namespace sshrelay::wasm {
namespace {

// Visitors' requests as whole messages come only from a relay without streams (wsproxy): this page
// cannot answer them and says so rather than leaving each to time out.
tunnel::HttpResponse no_streams_answer(const std::string& id) {
  return {id, 502, {{"Content-Type", "text/plain; charset=utf-8"}},
          "this share needs a relay that streams (sshrelayd): the relay sent the request whole\n", ""};
}

}  // namespace

PortShare::PortShare(SshDriver& ssh, std::string host, int port) : ssh_(ssh), host_(std::move(host)), port_(port) {}

PortShare::~PortShare() { stop(); }

void PortShare::on_message(std::span<const std::uint8_t> message, bool binary) {
  if (binary) {
    client_.on_binary(message);
  } else {
    client_.on_text(std::string_view(reinterpret_cast<const char*>(message.data()), message.size()));
  }
  pump(false);
}

void PortShare::pump(bool may_send) {
  while (auto event = client_.next_event()) {
    if (const auto* open = std::get_if<tunnel::OpenConnection>(&*event)) {
      const int id = ssh_.open_forward(host_, port_);
      if (id == 0) {
        client_.closed(open->conn_id);
        continue;
      }
      channels_[open->conn_id] = id;
    } else if (auto* data = std::get_if<tunnel::ConnectionData>(&*event)) {
      const auto it = channels_.find(data->conn_id);
      if (it == channels_.end()) continue;
      if (auto* channel = ssh_.forward(it->second)) channel->write(std::move(data->bytes));
    } else if (const auto* close = std::get_if<tunnel::CloseConnection>(&*event)) {
      const auto it = channels_.find(close->conn_id);
      if (it == channels_.end()) continue;
      if (auto* channel = ssh_.forward(it->second)) channel->close();
    } else if (const auto* request = std::get_if<tunnel::HttpRequest>(&*event)) {
      client_.answer(no_streams_answer(request->id));
    }
  }
  // Channels' bytes to the tunnel; channels that ended are told to the relay and let go.
  for (auto it = channels_.begin(); it != channels_.end();) {
    auto* channel = ssh_.forward(it->second);  // only this share drops its channels
    if (may_send) client_.send(it->first, channel->take_received());
    if (channel->finished()) {
      if (channel->state() == ForwardChannel::State::error) {
        ++refused_;
        last_refusal_ = channel->error();
      }
      client_.closed(it->first);
      ssh_.drop_forward(it->second);
      it = channels_.erase(it);
      continue;
    }
    ++it;
  }
}

std::vector<tunnel::OutMessage> PortShare::take_messages() {
  std::vector<tunnel::OutMessage> out;
  while (auto m = client_.next_message()) out.push_back(std::move(*m));
  return out;
}

void PortShare::stop() {
  for (const auto& [conn_id, id] : channels_) ssh_.drop_forward(id);  // libssh closes an open channel it frees
  channels_.clear();
}

}  // namespace sshrelay::wasm
