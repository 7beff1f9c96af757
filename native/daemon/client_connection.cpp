#include "native/daemon/client_connection.hpp"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <functional>
#include <type_traits>

namespace sshrelay::daemon {
namespace {

void preload(ws::Reader& reader, std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  auto room = reader.prepare(bytes.size());
  std::copy(bytes.begin(), bytes.end(), room.begin());
  reader.commit(bytes.size());
}

}  // namespace

ClientConnection::ClientConnection(PlainStream&& stream, std::size_t max_message,
                                   std::span<const std::uint8_t> already_read)
    : stream_(std::in_place_type<PlainStream>, std::move(stream)), reader_(max_message) {
  preload(reader_, already_read);
}

ClientConnection::ClientConnection(TlsStream&& stream, std::size_t max_message, std::span<const std::uint8_t> already_read)
    : stream_(std::in_place_type<TlsStream>, std::move(stream)), reader_(max_message) {
  preload(reader_, already_read);
}

boost::asio::ip::tcp::socket& ClientConnection::socket() {
  return visit([](auto& s) -> boost::asio::ip::tcp::socket& { return beast::get_lowest_layer(s).socket(); });
}

std::size_t ClientConnection::drain_now(std::size_t limit) {
  boost::system::error_code ec;
  socket().non_blocking(true, ec);
  if (ec) return 0;
  std::size_t total = 0;
  for (int reads = 0; reads < 1024 && total < limit; ++reads) {
    auto room = reader_.prepare(std::min<std::size_t>(64 * 1024, limit - total));
    const std::size_t n = visit([&](auto& s) { return s.read_some(boost::asio::buffer(room.data(), room.size()), ec); });
    reader_.commit(n);
    total += n;
    if (ec || n == 0) break;
  }
  return total;
}

std::size_t ClientConnection::available() {
  boost::system::error_code ec;
  const auto n = socket().available(ec);
  return ec ? 0 : n;
}

void ClientConnection::abort() {
  boost::system::error_code ignored;
  socket().close(ignored);
}

namespace {

// linger_close()'s state: the socket, a bound on the wait and a scratch buffer. Its handlers hold it
// (no self-reference), so if the daemon stops mid-linger, destroying the pending handlers frees it.
class Linger : public std::enable_shared_from_this<Linger> {
 public:
  explicit Linger(std::shared_ptr<ClientConnection> client)
      : client_(std::move(client)), timer_(client_->socket().get_executor()), buffer_(16 * 1024) {}

  void start() {
    constexpr auto kLinger = std::chrono::seconds(3);
    timer_.expires_after(kLinger);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->client_->abort();
    });
    read();
  }

 private:
  void read() {
    client_->visit([&](auto& s) {
      s.async_read_some(boost::asio::buffer(buffer_), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
        if (ec) return self->finish(ec);
        self->read();
      });
    });
  }

  // The client has closed its side (or failed): over TLS, answer its close_notify with ours (a TLS
  // client that gets none reports a truncated stream, not the close frame it already read); then drop.
  void finish(boost::system::error_code ec) {
    if (ec != boost::asio::error::eof || !client_->is_tls()) {
      timer_.cancel();
      return client_->abort();
    }
    client_->visit([&](auto& s) {
      if constexpr (std::is_same_v<std::decay_t<decltype(s)>, TlsStream>) {
        s.async_shutdown([self = shared_from_this()](boost::system::error_code) {
          self->timer_.cancel();
          self->client_->abort();
        });
      }
    });
  }

  std::shared_ptr<ClientConnection> client_;
  boost::asio::steady_timer timer_;
  std::vector<std::uint8_t> buffer_;
};

}  // namespace

void linger_close(std::shared_ptr<ClientConnection> client) { std::make_shared<Linger>(std::move(client))->start(); }

void close_client(std::shared_ptr<ClientConnection> client, std::uint16_t code, std::string_view reason) {
  const auto payload = ws::close_payload(code, reason);
  const auto header = ws::frame_header(ws::Opcode::close, payload.size());
  auto frame = std::make_shared<std::vector<std::uint8_t>>(header.view().begin(), header.view().end());
  frame->insert(frame->end(), payload.begin(), payload.end());
  client->visit([&](auto& s) {
    boost::asio::async_write(s, boost::asio::buffer(*frame), [client, frame](boost::system::error_code ec, std::size_t) {
      if (ec) return client->abort();
      linger_close(client);
    });
  });
}

}  // namespace sshrelay::daemon
