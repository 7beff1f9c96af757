#include "tests/bench/conn.hpp"

#include <array>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket.hpp>
#include <optional>
#include <stdexcept>
#include <vector>

#include "core/wire/v4_frame.hpp"
#include "core/wire/v4_url.hpp"
#include "tests/bench/rendezvous_pair.hpp"

namespace bench {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using net::use_awaitable;

constexpr std::size_t kMaxMessagePayload = sshrelay::v4::kMaxDataPayload;  // 16 KiB, v4 and ws alike

net::awaitable<tcp::socket> connect_to(std::uint16_t port) {
  auto executor = co_await net::this_coro::executor;
  tcp::socket socket(executor);
  co_await socket.async_connect(tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), port), use_awaitable);
  socket.set_option(tcp::no_delay(true));
  co_return socket;
}

bool closed_error(const boost::system::error_code& ec) {
  return ec == websocket::error::closed || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe;
}

class TcpConn final : public Conn {
 public:
  explicit TcpConn(tcp::socket socket) : socket_(std::move(socket)), buffer_(64 * 1024) {}

  net::awaitable<void> send(std::span<const std::uint8_t> bytes) override {
    co_await net::async_write(socket_, net::buffer(bytes.data(), bytes.size()), use_awaitable);
  }

  net::awaitable<std::span<const std::uint8_t>> recv() override {
    boost::system::error_code ec;
    const std::size_t n =
        co_await socket_.async_read_some(net::buffer(buffer_), net::redirect_error(use_awaitable, ec));
    if (ec) {
      if (closed_error(ec)) co_return std::span<const std::uint8_t>{};
      throw boost::system::system_error(ec, "read");
    }
    last_arrival = Clock::now();
    co_return std::span<const std::uint8_t>(buffer_.data(), n);
  }

  net::awaitable<void> close() override {
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    socket_.close(ec);
    co_return;
  }

  void abort() override {
    boost::system::error_code ec;
    socket_.close(ec);
  }

 private:
  tcp::socket socket_;
  std::vector<std::uint8_t> buffer_;
};

// v4 and plain ws share the WebSocket; v4 adds the frame codec and ACKs.
class WsConn final : public Conn {
 public:
  WsConn(tcp::socket socket, bool v4) : ws_(std::move(socket)), v4_(v4) {}

  net::awaitable<void> handshake(std::uint16_t relay_port, const std::string& target, bool resuming = false) {
    ws_->set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(beast::http::field::user_agent, "sshrelay-bench");
      req.set(beast::http::field::sec_websocket_protocol, "ssh");
    }));
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(20);
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    ws_->set_option(timeouts);
    ws_->binary(true);
    ws_->auto_fragment(false);
    ws_->secure_prng(false);            // a load client: masking keys need not be unpredictable
    ws_->write_buffer_bytes(64 * 1024);  // mask whole frames at once instead of 4 KiB at a time
    ws_->read_message_max(1 << 20);
    websocket::response_type response;
    co_await ws_->async_handshake(response, "127.0.0.1:" + std::to_string(relay_port), target, use_awaitable);
    if (v4_ && response[beast::http::field::sec_websocket_protocol] != "ssh") {
      throw std::runtime_error("the 101 does not echo Sec-WebSocket-Protocol: ssh");
    }
    if (!v4_) co_return;
    buffer_.consume(buffer_.size());
    co_await ws_->async_read(buffer_, use_awaitable);
    auto frame = sshrelay::v4::decode_message(view());
    if (resuming) {
      if (!frame || !std::holds_alternative<sshrelay::v4::ReconnectSuccess>(*frame)) {
        throw std::runtime_error("expected RECONNECT_SUCCESS as the first message of a resumed socket");
      }
      co_return;
    }
    if (!frame || !std::holds_alternative<sshrelay::v4::ConnectSuccess>(*frame)) {
      throw std::runtime_error("expected CONNECT_SUCCESS as the first message");
    }
    sid_ = std::get<sshrelay::v4::ConnectSuccess>(*frame).session_id;
  }

  net::awaitable<double> resume_at(std::uint16_t port) override {
    if (!v4_) throw std::runtime_error("only a v4 session resumes");
    abort();
    const auto started = Clock::now();
    ws_.emplace(co_await connect_to(port));
    co_await handshake(port, sshrelay::v4::reconnect_request_target("", sid_, received_), true);
    co_return std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  }

  net::awaitable<void> send(std::span<const std::uint8_t> bytes) override {
    while (!bytes.empty()) {
      const auto chunk = bytes.first(std::min(bytes.size(), kMaxMessagePayload));
      bytes = bytes.subspan(chunk.size());
      if (v4_) {
        std::array<std::uint8_t, sshrelay::v4::kDataHeaderSize> header{0, 4};
        const auto n = static_cast<std::uint32_t>(chunk.size());
        header[2] = static_cast<std::uint8_t>(n >> 24);
        header[3] = static_cast<std::uint8_t>(n >> 16);
        header[4] = static_cast<std::uint8_t>(n >> 8);
        header[5] = static_cast<std::uint8_t>(n);
        const std::array<net::const_buffer, 2> message{net::buffer(header), net::buffer(chunk.data(), chunk.size())};
        co_await ws_->async_write(message, use_awaitable);
      } else {
        co_await ws_->async_write(net::buffer(chunk.data(), chunk.size()), use_awaitable);
      }
    }
  }

  net::awaitable<std::span<const std::uint8_t>> recv() override {
    for (;;) {
      buffer_.consume(buffer_.size());
      boost::system::error_code ec;
      co_await ws_->async_read(buffer_, net::redirect_error(use_awaitable, ec));
      if (ec) {
        if (closed_error(ec)) co_return std::span<const std::uint8_t>{};
        throw boost::system::system_error(ec, "read");
      }
      last_arrival = Clock::now();
      if (!v4_) co_return view();
      auto frame = sshrelay::v4::decode_message(view());
      if (!frame) throw std::runtime_error("bad frame from the relay: " + frame.error().message);
      if (auto* data = std::get_if<sshrelay::v4::Data>(&*frame)) {
        received_ += data->payload.size();
        if (auto_ack_) co_await write_ack();
        co_return data->payload;
      }
      // ACKs (and anything else) carry no payload: read on.
    }
  }

  net::awaitable<void> close() override {
    boost::system::error_code ec;
    co_await ws_->async_close(websocket::close_code::normal, net::redirect_error(use_awaitable, ec));
    beast::get_lowest_layer(*ws_).close(ec);
  }

  void set_auto_ack(bool on) override { auto_ack_ = on; }

  void abort() override {
    boost::system::error_code ec;
    beast::get_lowest_layer(*ws_).close(ec);
  }

 private:
  std::span<const std::uint8_t> view() const {
    return {static_cast<const std::uint8_t*>(buffer_.data().data()), buffer_.size()};
  }

  net::awaitable<void> write_ack() {
    ack_[0] = 0;
    ack_[1] = 7;
    for (int i = 0; i < 8; ++i) ack_[2 + i] = static_cast<std::uint8_t>(received_ >> (56 - 8 * i));
    co_await ws_->async_write(net::buffer(ack_), use_awaitable);
  }

  std::optional<websocket::stream<tcp::socket>> ws_;
  bool v4_;
  std::string sid_;
  bool auto_ack_ = true;
  std::uint64_t received_ = 0;
  beast::flat_buffer buffer_;
  std::array<std::uint8_t, sshrelay::v4::kAckFrameSize> ack_{};
};

}  // namespace

std::string describe(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown exception";
  }
}

net::awaitable<double> Conn::resume_at(std::uint16_t) {
  throw std::runtime_error("only a v4 session resumes");
  co_return 0.0;
}

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::tcp: return "tcp";
    case Kind::v4: return "v4";
    case Kind::ws: return "ws";
    case Kind::rendezvous: return "rendezvous";
  }
  return "?";
}

bool relay_acks(Kind kind) { return kind == Kind::v4 || kind == Kind::rendezvous; }

net::awaitable<std::unique_ptr<Conn>> open_websocket(std::uint16_t relay_port, std::string target, bool v4) {
  tcp::socket socket = co_await connect_to(relay_port);
  auto ws = std::make_unique<WsConn>(std::move(socket), v4);
  co_await ws->handshake(relay_port, target);
  co_return ws;
}

net::awaitable<std::unique_ptr<Conn>> open_session(Route route, std::span<const std::uint8_t> mode_header) {
  const std::string port = std::to_string(route.target_port);
  std::unique_ptr<Conn> conn;
  if (route.kind == Kind::tcp) {
    tcp::socket socket = co_await connect_to(route.relay_port);
    conn = std::make_unique<TcpConn>(std::move(socket));
  } else if (route.kind == Kind::rendezvous) {
    conn = co_await open_rendezvous_pair(route.relay_port);
  } else {
    const bool v4 = route.kind == Kind::v4;
    std::string target = v4 ? "/v4/connect?host=127.0.0.1&port=" + port + "&dstUsername=bench"
                            : "/relay?host=127.0.0.1&port=" + port;
    conn = co_await open_websocket(route.relay_port, std::move(target), v4);
    if (v4 && route.resume_port != 0) co_await conn->resume_at(route.resume_port);
  }
  co_await conn->send(mode_header);
  auto ready = co_await conn->recv();
  if (ready.size() != 1 || ready[0] != 'R') throw std::runtime_error("the target did not answer 'R'");
  co_return conn;
}

net::awaitable<void> recv_exact(Conn& conn, std::size_t want, std::string* out) {
  while (want > 0) {
    auto bytes = co_await conn.recv();
    if (bytes.empty()) throw std::runtime_error("the stream ended early");
    if (bytes.size() > want) throw std::runtime_error("more bytes than expected");
    if (out) out->append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    want -= bytes.size();
  }
}

}  // namespace bench
