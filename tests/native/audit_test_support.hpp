#pragma once
// Helpers for the audit tests (header-only: tests/native compiles only *_test.cpp files): a scratch
// directory, a throwaway certificate for 127.0.0.1 made by the openssl CLI, and a real HTTPS server (Beast)
// that stands in for Splunk HEC and the PAN-OS XML API, records every request and answers as told.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/audit/audit_event.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_certificate.hpp"

namespace sshrelay::daemon::audit::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

// A private scratch directory per test (tests/support).
using ScratchDir = sshrelay::testing::TempDir;

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A self-signed P-256 certificate for DNS:localhost and IP:127.0.0.1, made once per test process.
inline const sshrelay::testing::TestCertificate& test_cert() {
  static const ScratchDir dir("sshrelay-audit-cert");
  static const auto cert = sshrelay::testing::make_test_certificate(dir);
  return cert;
}

// A port nothing listens on: connections to it are refused. The port stays bound (a socket that never
// listens) until the test process ends, so no other process (ctest -j runs tests in parallel) can start
// listening on it while the test counts on it being refused.
inline std::uint16_t unused_port() {
  static net::io_context ioc;
  static std::mutex mutex;
  static std::vector<std::unique_ptr<tcp::socket>> held;
  auto socket = std::make_unique<tcp::socket>(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  const auto port = socket->local_endpoint().port();
  std::lock_guard lock(mutex);
  held.push_back(std::move(socket));
  return port;
}

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Events delivered to a HEC receiver: one JSON envelope per line, over every request.
inline std::size_t hec_events(const std::vector<ReceivedRequest>& requests) {
  std::size_t n = 0;
  for (const auto& r : requests) n += split_lines(r.body).size();
  return n;
}

struct Reply {
  unsigned status = 200;
  std::string body = R"({"text":"Success","code":0})";
  bool hang = false;  // never answer (the connection stays open until the receiver goes)
};

class HttpsReceiver {
 public:
  using Responder = std::function<Reply(const ReceivedRequest&, std::size_t index)>;

  explicit HttpsReceiver(Responder responder = [](const ReceivedRequest&, std::size_t) { return Reply{}; })
      : tls_(net::ssl::context::tls_server), state_(std::make_shared<State>()), acceptor_(ioc_) {
    tls_.use_certificate_chain_file(test_cert().cert);
    tls_.use_private_key_file(test_cert().key, net::ssl::context::pem);
    state_->responder = std::move(responder);
    const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    do_accept();
    thread_ = std::thread([this] { ioc_.run(); });
  }

  ~HttpsReceiver() {
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(state_->mutex);
    state_->hung.clear();
  }
  HttpsReceiver(const HttpsReceiver&) = delete;
  HttpsReceiver& operator=(const HttpsReceiver&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path = "") const { return "https://127.0.0.1:" + std::to_string(port_) + path; }

  std::vector<ReceivedRequest> requests() const {
    std::lock_guard lock(state_->mutex);
    return state_->requests;
  }
  std::size_t connections() const {
    std::lock_guard lock(state_->mutex);
    return state_->connections;
  }
  // Bounds are generous: they only cost time when the test fails, and a loaded CI machine is slow.
  bool wait_for(const std::function<bool(const std::vector<ReceivedRequest>&)>& done,
                std::chrono::milliseconds timeout = 60s) const {
    std::unique_lock lock(state_->mutex);
    return state_->cv.wait_for(lock, timeout, [&] { return done(state_->requests); });
  }

 private:
  struct State {
    mutable std::mutex mutex;
    std::condition_variable cv;
    std::vector<ReceivedRequest> requests;
    std::size_t connections = 0;
    Responder responder;
    std::vector<std::shared_ptr<void>> hung;
  };

  class Connection : public std::enable_shared_from_this<Connection> {
   public:
    Connection(tcp::socket socket, net::ssl::context& tls, std::shared_ptr<State> state)
        : stream_(std::move(socket), tls), state_(std::move(state)) {}

    void run() {
      beast::get_lowest_layer(stream_).expires_after(60s);
      stream_.async_handshake(net::ssl::stream_base::server, [self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->do_read();
      });
    }

   private:
    void do_read() {
      request_ = {};
      beast::get_lowest_layer(stream_).expires_after(120s);
      http::async_read(stream_, buffer_, request_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (!ec) self->on_read();
      });
    }

    void on_read() {
      ReceivedRequest received;
      received.method = std::string(request_.method_string());
      received.target = std::string(request_.target());
      for (const auto& field : request_) {
        std::string name(field.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        received.headers[name] = std::string(field.value());
      }
      received.body = request_.body();
      Reply reply;
      {
        std::lock_guard lock(state_->mutex);
        reply = state_->responder(received, state_->requests.size());
        state_->requests.push_back(std::move(received));
        if (reply.hang) state_->hung.push_back(shared_from_this());
      }
      state_->cv.notify_all();
      if (reply.hang) return;
      response_ = {};
      response_.version(11);
      response_.result(reply.status);
      response_.set(http::field::content_type, reply.body.starts_with("<") ? "application/xml" : "application/json");
      response_.keep_alive(request_.keep_alive());
      response_.body() = reply.body;
      response_.prepare_payload();
      http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (!ec && self->response_.keep_alive()) self->do_read();
      });
    }

    beast::ssl_stream<beast::tcp_stream> stream_;
    std::shared_ptr<State> state_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> request_;
    http::response<http::string_body> response_;
  };

  void do_accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      {
        std::lock_guard lock(state_->mutex);
        ++state_->connections;
      }
      std::make_shared<Connection>(std::move(socket), tls_, state_)->run();
      do_accept();
    });
  }

  net::ssl::context tls_;  // outlives the connections, which the io_context's destructor may release
  std::shared_ptr<State> state_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// A session event as the daemon would emit it; `n` ends up in the sid ("s<n>") so tests can follow it.
inline AuditEvent session_event(AuditEventType type, int n, const std::string& principal = "alice@example.com",
                                std::uint16_t relay_port = 40001) {
  AuditEvent e;
  e.type = type;
  e.time_ms = 1714566896789 + n;
  e.principal = principal;
  e.source_ip = "203.0.113.7";
  e.source_port = 51234;
  e.target = "db.internal:22";
  e.resolved_ip = "10.0.0.5";
  e.resolved_port = 22;
  e.relay_ip = "10.0.0.2";
  e.relay_source_port = relay_port;
  e.sid = "s" + std::to_string(n);
  if (type == AuditEventType::session_close) {
    e.bytes_up = 100;
    e.bytes_down = 2000;
    e.duration_ms = 5000;
    e.close_code = 1000;
    e.close_reason = "target closed the connection";
  }
  return e;
}

// Waits until done() or the timeout; for conditions outside the receiver (counters, files). The default
// bound is generous: it only costs time when the condition never comes.
inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 60s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

}  // namespace sshrelay::daemon::audit::testing
