#include "tests/integration/harness.hpp"

#include <filesystem>

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <stdexcept>

namespace sshrelay::itest {

std::size_t count_occurrences(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++count;
  return count;
}
namespace http = beast::http;

IoThread::IoThread() : guard_(asio::make_work_guard(ioc_)), thread_([this] { ioc_.run(); }) {}

IoThread::~IoThread() { stop(); }

void IoThread::stop() {
  guard_.reset();
  ioc_.stop();
  if (thread_.joinable()) thread_.join();
}

std::string source_tree() {
  // This file is tests/integration/harness.cpp.
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().lexically_normal().string();
}

client::ConnectionOptions client_options(std::uint16_t relay_port, const std::string& target_host,
                                         std::uint16_t target_port, const std::string& user) {
  client::ConnectionOptions options;
  auto relay = client::parse_relay_url("ws://127.0.0.1:" + std::to_string(relay_port));
  if (!relay) throw std::runtime_error(relay.error().message);
  options.transport.relay = *relay;
  options.target = {target_host, target_port, user, {}, {}};
  if (const char* verbose = std::getenv("SSHRELAY_TEST_VERBOSE"); verbose && std::string(verbose) == "1") {
    options.log = [](const std::string& line) { std::cerr << line << "\n"; };
  }
  return options;
}

std::vector<std::uint8_t> deterministic_bytes(std::size_t size, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> out(size);
  for (std::size_t i = 0; i < size; i += 8) {
    const auto word = rng();
    for (std::size_t j = 0; j < 8 && i + j < size; ++j) out[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
  }
  return out;
}

// -------------------------------------------------------------------------------------------- HTTP

HttpResponse http_get(std::uint16_t port, const std::string& target, std::chrono::milliseconds timeout,
                      const std::vector<std::pair<std::string, std::string>>& headers) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(http::field::user_agent, "sshrelay-integration-tests");
  for (const auto& [name, value] : headers) req.set(name, value);
  http::response<http::string_body> res;
  beast::flat_buffer buffer;
  error_code result = asio::error::timed_out;
  std::string step = "connect";

  stream.expires_after(timeout);
  stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](error_code ec) {
    if (ec) return void(result = ec);
    step = "write";
    http::async_write(stream, req, [&](error_code ec2, std::size_t) {
      if (ec2) return void(result = ec2);
      step = "read";
      http::async_read(stream, buffer, res, [&](error_code ec3, std::size_t) { result = ec3; });
    });
  });
  ioc.run();
  if (result) throw std::runtime_error("GET " + target + " failed at " + step + ": " + result.message());
  HttpResponse out;
  out.status = res.result_int();
  out.body = res.body();
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
  return out;
}

// ------------------------------------------------------------------------------------ RawV4Socket

std::string RawV4Socket::Message::describe() const {
  switch (kind) {
    case Kind::message: return std::string(binary ? "binary" : "text") + " message of " + std::to_string(bytes.size()) + " bytes";
    case Kind::closed: return "close frame " + std::to_string(close_code) + " '" + close_reason + "'";
    case Kind::error: return "error: " + ec.message();
    case Kind::timeout: return "timeout";
  }
  return "?";
}

RawV4Socket::RawV4Socket(std::uint16_t port, const std::string& target, const std::string& origin,
                         std::chrono::milliseconds timeout, const Headers& headers)
    : ws_(ioc_) {
  std::atomic<bool> done{false};
  error_code result;
  websocket::response_type response;
  ws_.set_option(websocket::stream_base::decorator([origin, headers](websocket::request_type& req) {
    req.set(http::field::sec_websocket_protocol, "ssh");
    if (!origin.empty()) req.set(http::field::origin, origin);
    for (const auto& [name, value] : headers) req.set(name, value);
  }));
  ws_.binary(true);
  beast::get_lowest_layer(ws_).async_connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](error_code ec) {
        if (ec) {
          result = ec;
          done = true;
          return;
        }
        ws_.async_handshake(response, "127.0.0.1:" + std::to_string(port), target, [&](error_code ec2) {
          result = ec2;
          done = true;
        });
      });
  if (!run(timeout, done)) throw std::runtime_error("WebSocket upgrade to " + target + " timed out");
  if (result) {
    throw std::runtime_error("WebSocket upgrade to " + target + " failed: " + result.message() + " (HTTP " +
                             std::to_string(response.result_int()) + " " + response.body() + ")");
  }
  subprotocol_ = std::string(response[http::field::sec_websocket_protocol]);
}

RawV4Socket::~RawV4Socket() {
  error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

bool RawV4Socket::run(std::chrono::milliseconds timeout, const std::atomic<bool>& done) {
  ioc_.restart();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    ioc_.run_one_until(deadline);
  }
  if (done) return true;
  // Abandon the operation: close the socket so it completes, and let it finish.
  error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
  ioc_.restart();
  ioc_.run_for(2s);
  return false;
}

RawV4Socket::Message RawV4Socket::read(std::chrono::milliseconds timeout) {
  std::atomic<bool> done{false};
  error_code result;
  buffer_.clear();
  ws_.async_read(buffer_, [&](error_code ec, std::size_t) {
    result = ec;
    done = true;
  });
  Message m;
  if (!run(timeout, done)) {
    m.kind = Message::Kind::timeout;
    return m;
  }
  if (result == websocket::error::closed) {
    m.kind = Message::Kind::closed;
    m.close_code = static_cast<std::uint16_t>(ws_.reason().code);
    m.close_reason = std::string(ws_.reason().reason.c_str());
    return m;
  }
  if (result) {
    m.kind = Message::Kind::error;
    m.ec = result;
    return m;
  }
  m.kind = Message::Kind::message;
  m.binary = ws_.got_binary();
  const auto data = buffer_.cdata();
  const auto* p = static_cast<const std::uint8_t*>(data.data());
  m.bytes.assign(p, p + data.size());
  return m;
}

RawV4Socket::Message RawV4Socket::read_until_not_ack(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto m = read(std::max(left, 1ms));
    if (m.kind != Message::Kind::message) return m;
    auto frame = v4::decode_message(m.bytes);
    if (frame && std::holds_alternative<v4::Ack>(*frame)) continue;
    return m;
  }
}

bool RawV4Socket::write(std::span<const std::uint8_t> message, std::chrono::milliseconds timeout) {
  std::atomic<bool> done{false};
  error_code result;
  ws_.async_write(asio::buffer(message.data(), message.size()), [&](error_code ec, std::size_t) {
    result = ec;
    done = true;
  });
  return run(timeout, done) && !result;
}

bool RawV4Socket::write_raw(std::span<const std::uint8_t> bytes, std::chrono::milliseconds timeout) {
  std::atomic<bool> done{false};
  error_code result;
  asio::async_write(beast::get_lowest_layer(ws_).socket(), asio::buffer(bytes.data(), bytes.size()),
                    [&](error_code ec, std::size_t) {
                      result = ec;
                      done = true;
                    });
  return run(timeout, done) && !result;
}

bool RawV4Socket::close_with(std::uint16_t code, const std::string& reason, std::chrono::milliseconds timeout) {
  std::atomic<bool> done{false};
  error_code result;
  websocket::close_reason why(reason);
  why.code = code;
  ws_.async_close(why, [&](error_code ec) {
    result = ec;
    done = true;
  });
  return run(timeout, done) && !result;
}

void RawV4Socket::reset() {
  error_code ignored;
  auto& socket = beast::get_lowest_layer(ws_).socket();
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

// -------------------------------------------------------------------------------------- TcpTarget

TcpTarget::TcpTarget(Session session) : session_(std::move(session)), acceptor_(ioc_) {
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  acceptor_.open(endpoint.protocol());
  acceptor_.bind(endpoint);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  accept_thread_ = std::thread([this] { accept_loop(); });
}

TcpTarget::~TcpTarget() {
  stopping_ = true;
  ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // wakes the blocking accept()
  accept_thread_.join();
  std::lock_guard lock(mutex_);
  for (auto& socket : sockets_) ::shutdown(socket->native_handle(), SHUT_RDWR);
  for (auto& thread : threads_) thread.join();
}

void TcpTarget::accept_loop() {
  while (!stopping_) {
    auto socket = std::make_shared<tcp::socket>(ioc_);
    error_code ec;
    acceptor_.accept(*socket, ec);
    if (ec || stopping_) return;
    ++accepted_;
    std::lock_guard lock(mutex_);
    sockets_.push_back(socket);
    threads_.emplace_back([this, socket] {
      try {
        session_(*socket);
      } catch (const std::exception&) {
        // A session ends when its peer goes away; nothing to report.
      }
    });
  }
}

TcpTarget::Session TcpTarget::echo() {
  return [](tcp::socket& socket) {
    std::vector<std::uint8_t> buffer(64 * 1024);
    for (;;) {
      error_code ec;
      const auto n = socket.read_some(asio::buffer(buffer), ec);
      if (ec) return;
      asio::write(socket, asio::buffer(buffer.data(), n), ec);
      if (ec) return;
    }
  };
}

TcpTarget::Session TcpTarget::push(std::shared_ptr<const std::vector<std::uint8_t>> bytes) {
  return [bytes](tcp::socket& socket) {
    error_code ec;
    asio::write(socket, asio::buffer(*bytes), ec);
    if (ec) return;
    socket.shutdown(tcp::socket::shutdown_send, ec);
    // Wait for the relay to close its side (it will after forwarding our EOF), at most 30 s, so the
    // close never resets bytes still in flight.
    timeval tv{30, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::uint8_t sink[4096];
    while (::recv(socket.native_handle(), sink, sizeof sink, 0) > 0) {
    }
    socket.close(ec);
  };
}

// ------------------------------------------------------------------------------ MemoryLocalStream

MemoryLocalStream::MemoryLocalStream(asio::any_io_executor strand, std::shared_ptr<MemorySink> sink)
    : strand_(std::move(strand)), sink_(std::move(sink)), timer_(strand_) {}

void MemoryLocalStream::async_read_some(asio::mutable_buffer, Handler handler) {
  pending_read_ = std::move(handler);
  if (eof_) complete_read(asio::error::eof);
  if (sink_->closed) complete_read(asio::error::operation_aborted);
}

void MemoryLocalStream::complete_read(error_code ec) {
  if (!pending_read_) return;
  asio::post(strand_, [handler = std::move(pending_read_), ec] { handler(ec, 0); });
  pending_read_ = nullptr;
}

void MemoryLocalStream::async_write(asio::const_buffer buffer, Handler handler) {
  if (sink_->closed) {
    asio::post(strand_, [handler = std::move(handler)] { handler(asio::error::broken_pipe, 0); });
    return;
  }
  const auto* p = static_cast<const std::uint8_t*>(buffer.data());
  {
    std::lock_guard lock(sink_->mutex);
    sink_->data.insert(sink_->data.end(), p, p + buffer.size());
  }
  const auto n = buffer.size();
  const auto rate = sink_->write_rate.load();
  if (rate == 0) {
    asio::post(strand_, [handler = std::move(handler), n] { handler({}, n); });
    return;
  }
  timer_.expires_after(std::chrono::microseconds(n * 1000000 / rate));
  timer_.async_wait([handler = std::move(handler), n](error_code ec) { handler(ec, ec ? 0 : n); });
}

void MemoryLocalStream::shutdown_send() {
  eof_ = true;
  complete_read(asio::error::eof);
}

void MemoryLocalStream::close() {
  sink_->closed = true;
  timer_.cancel();
  complete_read(asio::error::operation_aborted);
}

// ------------------------------------------------------------------------------------ MemoryClient

MemoryClient::MemoryClient(asio::io_context& ioc, client::ConnectionOptions options)
    : connection_(std::make_shared<client::RelayConnection>(
          std::make_unique<MemoryLocalStream>(asio::make_strand(ioc), sink_), std::move(options))) {}

void MemoryClient::start() {
  connection_->start([outcome = outcome_](error_code ec, client::CloseInfo info) {
    std::lock_guard lock(outcome->mutex);
    outcome->ec = ec;
    outcome->close = std::move(info);
    outcome->done = true;
  });
}

bool MemoryClient::wait_done(std::chrono::milliseconds timeout) {
  return wait_until([this] { return outcome_->done.load(); }, timeout);
}

error_code MemoryClient::ec() const {
  std::lock_guard lock(outcome_->mutex);
  return outcome_->ec;
}

client::CloseInfo MemoryClient::close() const {
  std::lock_guard lock(outcome_->mutex);
  return outcome_->close;
}

std::string MemoryClient::describe() const {
  std::lock_guard lock(outcome_->mutex);
  if (!outcome_->done) return "not finished; received " + std::to_string(sink_->size()) + " bytes";
  return "ec=" + outcome_->ec.message() + " code=" + std::to_string(outcome_->close.code) + " reason='" +
         outcome_->close.reason + "' detail='" + outcome_->close.detail + "' received=" +
         std::to_string(sink_->size());
}

std::string open_and_stop(asio::io_context& ioc, client::ConnectionOptions options) {
  options.reconnect.budget = std::chrono::milliseconds(0);
  MemoryClient c(ioc, std::move(options));
  c.start();
  EXPECT_TRUE(wait_until([&] { return !c.connection().session_id().empty() || c.done(); }, 60s)) << c.describe();
  const bool connected = !c.connection().session_id().empty();
  c.connection().stop();
  EXPECT_TRUE(c.wait_done(60s)) << c.describe();
  return connected ? std::string("connected") : c.describe();
}

v4::Frame frame_of(const RawV4Socket::Message& m) {
  EXPECT_EQ(m.kind, RawV4Socket::Message::Kind::message) << m.describe();
  EXPECT_TRUE(m.binary);
  auto frame = v4::decode_message(m.bytes);
  EXPECT_TRUE(frame) << (frame ? "" : frame.error().message);
  return frame ? *frame : v4::Frame{v4::Ack{~0ull}};
}

std::string read_payload(RawV4Socket& ws, std::size_t want) {
  std::string got;
  while (got.size() < want) {
    auto m = ws.read_until_not_ack();
    if (m.kind != RawV4Socket::Message::Kind::message) {
      ADD_FAILURE() << "waiting for DATA: " << m.describe();
      return got;
    }
    auto frame = frame_of(m);
    auto* data = std::get_if<v4::Data>(&frame);
    if (!data) {
      ADD_FAILURE() << "expected DATA, got frame index " << frame.index();
      return got;
    }
    got.append(reinterpret_cast<const char*>(data->payload.data()), data->payload.size());
  }
  return got;
}

std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

std::vector<nlohmann::json> read_audit_events(const std::string& path, const std::string& action) {
  std::vector<nlohmann::json> events;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (in.eof()) break;  // no newline after it: still being written
    auto event = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!event.is_object()) {
      ADD_FAILURE() << "audit line is not a JSON object: " << line;
      continue;
    }
    if (action.empty() || event.value("event.action", "") == action) events.push_back(std::move(event));
  }
  return events;
}

}  // namespace sshrelay::itest
