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

int ClientConnection::release() {
  if (is_tls()) return -1;
  boost::system::error_code ec;
  const int fd = socket().release(ec);
  return ec ? -1 : fd;
}

void ClientConnection::abort() {
  boost::system::error_code ignored;
  socket().close(ignored);
}

namespace {

// linger_close()'s state: the socket, a bound on the wait and whether the client's close frame has
// arrived. Its handlers hold it (no self-reference), so if the daemon stops mid-linger, destroying the
// pending handlers frees it.
//
// Once both close frames have crossed, the server closes the TCP connection first (RFC 6455 §7.1.1):
// clients (Beast's among them, so our CLI) wait for that before they report the close, and a relay that
// waited for them instead would hold every ending for the whole linger time.
class Linger : public std::enable_shared_from_this<Linger> {
 public:
  Linger(std::shared_ptr<ClientConnection> client, bool close_received)
      : client_(std::move(client)), timer_(client_->socket().get_executor()), close_received_(close_received) {}

  void start() {
    constexpr auto kLinger = std::chrono::seconds(3);
    timer_.expires_after(kLinger);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->client_->abort();
    });
    if (close_received_ || close_frame_arrived()) return close_first();
    read();
  }

 private:
  void read() {
    auto room = client_->reader().prepare(16 * 1024);
    client_->visit([&](auto& s) {
      s.async_read_some(boost::asio::buffer(room.data(), room.size()),
                        [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                          if (ec) return self->finish(ec);
                          self->client_->reader().commit(n);
                          if (!self->closing_ && self->close_frame_arrived()) return self->close_first();
                          self->read();
                        });
    });
  }

  // Parses what the client sent for its close frame, dropping everything else.
  bool close_frame_arrived() {
    auto& reader = client_->reader();
    for (;;) {
      auto event = reader.next();
      if (!event || !*event) break;  // a broken frame: the linger timer ends it
      if (std::holds_alternative<ws::Close>(**event)) return true;
    }
    reader.release();
    return false;
  }

  // Our FIN (over TLS, close_notify first); then wait, bounded, for the client's end.
  void close_first() {
    closing_ = true;
    if (!client_->is_tls()) {
      boost::system::error_code ignored;
      client_->socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
      return read();
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

  // The client has closed its side (or failed): over TLS, answer its close_notify with ours (a TLS
  // client that gets none reports a truncated stream, not the close frame it already read); then drop.
  void finish(boost::system::error_code ec) {
    if (ec != boost::asio::error::eof || !client_->is_tls() || closing_) {
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
  bool close_received_;
  bool closing_ = false;
};

}  // namespace

void linger_close(std::shared_ptr<ClientConnection> client, bool close_received) {
  std::make_shared<Linger>(std::move(client), close_received)->start();
}

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
