#include "native/cli/tunnel_command.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <iostream>
#include <map>
#include <memory>

#include "core/common/base64.hpp"
#include "core/common/fifo.hpp"
#include "core/common/text.hpp"
#include "core/tunnel/tunnel_frame.hpp"
#include "core/tunnel/tunnel_messages.hpp"
#include "core/wire/close_code.hpp"
#include "native/cli/client_setup.hpp"
#include "native/cli/exit_status.hpp"
#include "native/client/ws_transport.hpp"

namespace sshrelay::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;

constexpr std::size_t kMaxResponseBody = 10 * 1024 * 1024;  // what wsproxy's relay accepts back
constexpr std::size_t kReadChunk = 32 * 1024;
constexpr std::size_t kMaxQueued = 1 << 20;  // bytes for the relay before the service's sockets wait

// Hop-by-hop fields and those this client sets itself are not forwarded to the local service.
bool forwarded_to_service(std::string_view name) {
  const auto lower = ascii_lower(name);
  for (const char* skip : {"host", "connection", "upgrade", "keep-alive", "transfer-encoding", "te", "trailer",
                           "proxy-authorization", "proxy-connection", "content-length", "expect"}) {
    if (lower == skip) return false;
  }
  return true;
}

// A body goes back as text only when it is text (by its type, and valid UTF-8, which JSON needs);
// everything else as base64.
bool send_as_text(std::string_view content_type, std::string_view body) {
  const bool text_type = content_type.empty() || content_type.starts_with("text/") ||
                         content_type.find("json") != std::string_view::npos || content_type.find("xml") != std::string_view::npos ||
                         content_type.find("javascript") != std::string_view::npos;
  return text_type && is_utf8(body);
}

class TunnelClient : public std::enable_shared_from_this<TunnelClient> {
 public:
  TunnelClient(asio::any_io_executor strand, client::TransportOptions transport, const ProxyOptions& options, Console& console)
      : strand_(strand), options_(options), console_(console),
        transport_(std::make_shared<client::WsTransport>(strand, transport)) {}

  void start() {
    // With streams (ours), a visitor's HTTP exchange arrives like a raw connection: bytes both ways.
    std::string target = options_.relay.path_prefix + "/tunnel";
    if (options_.tunnel_streams) target += "?streams=1";
    if (options_.tunnel_stable_subdomain) target += options_.tunnel_streams ? "&subdomain=stable" : "?subdomain=stable";
    transport_->async_open(target,
                           [self = shared_from_this()](error_code ec, const client::OpenResult& result) {
                             if (ec) return self->fail(result.detail.empty() ? ec.message() : result.detail,
                                                       result.http_status == 401 || result.http_status == 403 ? kExitAuth
                                                                                                              : kExitUnreachable);
                             self->console_.progress("connected to " + self->options_.relay.to_string() + "/tunnel");
                             self->do_read();
                           });
  }

  void stop() {
    stopping_ = true;
    transport_->async_close(beast::websocket::close_code::normal, [self = shared_from_this()](error_code) { self->shutdown(); });
  }

  int exit_code() const { return exit_code_; }

 private:
  struct Connection {
    explicit Connection(asio::any_io_executor ex) : stream(ex) {}
    beast::tcp_stream stream;
    bool open = false;
    bool writing = false;
    bool closed = false;
    bool paused = false;  // not read while the relay has kMaxQueued bytes waiting
    Fifo<std::vector<std::uint8_t>> out;
    std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(kReadChunk);
  };

  void do_read() {
    transport_->async_read([self = shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(error_code ec) {
    if (ec) {
      if (stopping_) return;
      const auto reason = transport_->reason();
      std::string why = ec == beast::websocket::error::closed
                            ? "the relay ended the tunnel (" + std::to_string(reason.code) + " " + std::string(reason.reason.data(), reason.reason.size()) + ")"
                            : "the connection to the relay ended: " + ec.message();
      return fail(why, kExitRelayError);
    }
    const auto data = transport_->buffer().cdata();
    const auto* bytes = static_cast<const std::uint8_t*>(data.data());
    if (transport_->last_message_binary()) {
      on_frame(std::span(bytes, data.size()));
    } else {
      on_text(std::string_view(reinterpret_cast<const char*>(bytes), data.size()));
    }
    do_read();
  }

  void on_text(std::string_view text) {
    auto message = tunnel::parse_relay_message(text);
    if (!message) return console_.progress("ignored a message from the relay: " + std::string(text.substr(0, 120)));
    if (const auto* ready = std::get_if<tunnel::TunnelReady>(&*message)) {
      // The one line a user runs this for: where the tunnel is reached.
      std::cout << "tunnel to " << options_.dial_host << ":" << options_.dial_port << " is open:";
      if (!ready->tunnel_url.empty()) std::cout << " " << ready->tunnel_url;
      if (ready->raw_port) std::cout << " raw TCP port " << options_.relay.host << ":" << ready->raw_port;
      if (ready->tunnel_url.empty() && !ready->raw_port) std::cout << " (the relay gave it neither a URL nor a port)";
      std::cout << std::endl;
      if (options_.tunnel_streams && !ready->streams) {
        console_.info("this relay does not stream (a wsproxy relay?): requests arrive whole, up to 10 MiB, without WebSocket");
      }
    } else if (auto* request = std::get_if<tunnel::HttpRequest>(&*message)) {
      serve_http(std::move(*request));
    } else if (const auto* open = std::get_if<tunnel::TcpOpen>(&*message)) {
      open_connection(open->conn_id);
    } else if (const auto* close = std::get_if<tunnel::TcpClose>(&*message)) {
      close_connection(close->conn_id, false);
    }
  }

  void on_frame(std::span<const std::uint8_t> message) {
    const auto frame = tunnel::decode_frame(message);
    if (!frame || frame->payload.empty()) return;
    const auto it = connections_.find(std::string(frame->conn_id));
    if (it == connections_.end()) return;
    it->second->out.push_back(std::vector<std::uint8_t>(frame->payload.begin(), frame->payload.end()));
    do_connection_write(it->first);
  }

  // --- HTTP: one connection to the service per request ---
  void serve_http(tunnel::HttpRequest request) {
    ++requests_;
    auto request_message = std::make_shared<http::request<http::string_body>>();
    request_message->method_string(request.method);
    request_message->target(request.path);
    request_message->version(11);
    for (const auto& [name, value] : request.headers) {
      if (forwarded_to_service(name)) request_message->insert(name, value);
    }
    request_message->set(http::field::host, options_.dial_host + ":" + std::to_string(options_.dial_port));
    request_message->set(http::field::connection, "close");
    request_message->body() = std::move(request.body);
    request_message->prepare_payload();
    auto stream = std::make_shared<beast::tcp_stream>(strand_);
    auto buffer = std::make_shared<beast::flat_buffer>();
    auto parser = std::make_shared<http::response_parser<http::string_body>>();
    parser->body_limit(kMaxResponseBody);
    const std::string id = request.id;
    stream->expires_after(std::chrono::seconds(30));
    stream->async_connect(service_endpoints(), [self = shared_from_this(), id, stream, buffer, parser, request_message](
                                                   error_code ec, const tcp::endpoint&) {
      if (ec) return self->answer_error(id, 502, "upstream connection failed: " + ec.message());
      stream->expires_after(std::chrono::seconds(60));
      http::async_write(*stream, *request_message, [self, id, stream, buffer, parser, request_message](error_code e, std::size_t) {
        if (e) return self->answer_error(id, 502, "upstream write failed: " + e.message());
        self->read_answer(id, stream, buffer, parser);
      });
    });
  }

  // The service's final answer: an interim 1xx (100 Continue, 103 Early Hints) is read past.
  void read_answer(const std::string& id, std::shared_ptr<beast::tcp_stream> stream, std::shared_ptr<beast::flat_buffer> buffer,
                   std::shared_ptr<http::response_parser<http::string_body>> parser) {
    http::async_read(*stream, *buffer, *parser, [self = shared_from_this(), id, stream, buffer, parser](error_code r, std::size_t) {
      if (r) return self->answer_error(id, 502, "upstream read failed: " + r.message());
      if (parser->get().result_int() / 100 == 1) {
        auto next = std::make_shared<http::response_parser<http::string_body>>();
        next->body_limit(kMaxResponseBody);
        return self->read_answer(id, stream, buffer, next);
      }
      self->answer(id, parser->release());
    });
  }

  tcp::resolver::results_type service_endpoints() {
    if (!endpoints_) {
      tcp::resolver resolver(strand_);
      error_code ec;
      endpoints_ = resolver.resolve(options_.dial_host, std::to_string(options_.dial_port), ec);
      if (ec) console_.error("--to " + options_.dial_host + ": " + ec.message());
    }
    return *endpoints_;
  }

  void answer(const std::string& id, http::response<http::string_body> response) {
    tunnel::HttpResponse out;
    out.id = id;
    out.status = response.result_int();
    std::map<std::string, std::string> joined;
    for (const auto& field : response) {
      auto& value = joined[std::string(field.name_string())];
      value += value.empty() ? std::string(field.value()) : ", " + std::string(field.value());
    }
    out.headers.assign(joined.begin(), joined.end());
    if (send_as_text(response[http::field::content_type], response.body())) {
      out.body = std::move(response.body());
    } else {
      out.body = base64_encode(response.body());
      out.body_encoding = "base64";
    }
    console_.progress(std::to_string(out.status) + " for request " + id);
    send_text(tunnel::to_json(out));
  }

  void answer_error(const std::string& id, int status, const std::string& why) {
    console_.error("request " + id + ": " + why);
    tunnel::HttpResponse out{id, status, {{"Content-Type", "text/plain; charset=utf-8"}}, why + "\n", ""};
    send_text(tunnel::to_json(out));
  }

  // --- raw TCP ---
  void open_connection(const std::string& id) {
    ++connections_opened_;
    auto connection = std::make_shared<Connection>(strand_);
    connections_.emplace(id, connection);
    connection->stream.expires_after(std::chrono::seconds(30));
    connection->stream.async_connect(service_endpoints(), [self = shared_from_this(), id, connection](error_code ec, const tcp::endpoint&) {
      if (connection->closed) return;
      if (ec) {
        self->console_.error("connection " + id + ": cannot connect to the service: " + ec.message());
        return self->close_connection(id, true);
      }
      connection->open = true;
      self->console_.progress("connection " + id + " opened to the service");
      self->do_connection_read(id, connection);
      self->do_connection_write(id);  // bytes that came while connecting
    });
  }

  void do_connection_read(const std::string& id, const std::shared_ptr<Connection>& connection) {
    if (outgoing_bytes_ >= kMaxQueued) {
      connection->paused = true;  // read on once the relay took what waits (do_write)
      return;
    }
    connection->stream.expires_never();
    connection->stream.async_read_some(asio::buffer(connection->buffer),
                                       [self = shared_from_this(), id, connection](error_code ec, std::size_t n) {
                                         if (connection->closed) return;
                                         if (n > 0) {
                                           self->send_binary(tunnel::encode_frame(id, std::span(connection->buffer.data(), n)));
                                         }
                                         if (ec) return self->close_connection(id, true);
                                         self->do_connection_read(id, connection);
                                       });
  }

  void do_connection_write(const std::string& id) {
    const auto it = connections_.find(id);
    if (it == connections_.end()) return;
    auto connection = it->second;
    if (!connection->open || connection->writing || connection->out.empty()) return;
    connection->writing = true;
    asio::async_write(connection->stream, asio::buffer(connection->out.front()),
                      [self = shared_from_this(), id, connection](error_code ec, std::size_t) {
                        connection->writing = false;
                        connection->out.pop_front();
                        if (connection->closed) return;
                        if (ec) return self->close_connection(id, true);
                        self->do_connection_write(id);
                      });
  }

  void close_connection(const std::string& id, bool tell_relay) {
    const auto it = connections_.find(id);
    if (it == connections_.end()) return;
    auto connection = it->second;
    connections_.erase(it);
    connection->closed = true;
    error_code ignored;
    connection->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    connection->stream.close();
    if (tell_relay) send_text(tunnel::to_json(tunnel::TcpClose{id}));
  }

  // --- to the relay: one write at a time ---
  void send_text(std::string json) { queue(std::vector<std::uint8_t>(json.begin(), json.end()), false); }
  void send_binary(std::vector<std::uint8_t> frame) { queue(std::move(frame), true); }
  void queue(std::vector<std::uint8_t> bytes, bool binary) {
    if (stopping_) return;
    outgoing_bytes_ += bytes.size();
    outgoing_.push_back({std::move(bytes), binary});
    do_write();
  }
  void do_write() {
    if (writing_ || outgoing_.empty() || stopping_) return;
    writing_ = true;
    transport_->async_write(asio::buffer(outgoing_.front().first),
                            [self = shared_from_this()](error_code ec, std::size_t) {
                              self->writing_ = false;
                              self->outgoing_bytes_ -= self->outgoing_.front().first.size();
                              self->outgoing_.pop_front();
                              if (ec) return self->fail("writing to the relay: " + ec.message(), kExitRelayError);
                              self->do_write();
                              self->resume_reads();
                            },
                            outgoing_.front().second);
  }

  void resume_reads() {
    if (outgoing_bytes_ >= kMaxQueued) return;
    for (const auto& [id, connection] : connections_) {
      if (!connection->paused) continue;
      connection->paused = false;
      do_connection_read(id, connection);
    }
  }

  void fail(const std::string& why, int code) {
    if (stopping_) return;
    console_.error("sshrelay tunnel: " + why);
    exit_code_ = code;
    stopping_ = true;
    transport_->abort();
    shutdown();
  }

  void shutdown() {
    stopping_ = true;
    std::vector<std::string> ids;
    for (const auto& [id, connection] : connections_) ids.push_back(id);
    for (const auto& id : ids) close_connection(id, false);
    console_.info("tunnel closed after " + std::to_string(requests_) + " requests and " + std::to_string(connections_opened_) +
                  " connections");
    if (on_done) on_done();
  }

 public:
  std::function<void()> on_done;

 private:
  asio::any_io_executor strand_;
  const ProxyOptions& options_;
  Console& console_;
  std::shared_ptr<client::WsTransport> transport_;
  std::optional<tcp::resolver::results_type> endpoints_;
  std::map<std::string, std::shared_ptr<Connection>> connections_;
  Fifo<std::pair<std::vector<std::uint8_t>, bool>> outgoing_;
  std::size_t outgoing_bytes_ = 0;
  bool writing_ = false;
  bool stopping_ = false;
  int exit_code_ = kExitOk;
  std::uint64_t requests_ = 0;
  std::uint64_t connections_opened_ = 0;
};

}  // namespace

int run_tunnel(const ProxyOptions& options, Console& console) {
  ClientSetup setup = make_client_setup(options, console);
  auto headers = credential_headers(setup);
  if (setup.tokens) setup.tokens->shutdown();
  if (!headers) {
    console.error(headers.error().message);
    return kExitAuth;
  }
  auto transport = setup.connection.transport;
  transport.subprotocol.clear();  // wsproxy's /tunnel negotiates none
  transport.max_message = 16 * 1024 * 1024;
  for (auto& header : *headers) transport.headers.push_back(std::move(header));

  asio::io_context ioc(1);
  const auto strand = asio::make_strand(ioc);
  auto client = std::make_shared<TunnelClient>(strand, transport, options, console);
  asio::signal_set signals(strand, SIGINT, SIGTERM);
  client->on_done = [&signals] {
    error_code ignored;
    signals.cancel(ignored);
  };
  signals.async_wait([&](error_code ec, int) {
    if (!ec) client->stop();
  });
  client->start();
  ioc.run();
  return client->exit_code();
}

}  // namespace sshrelay::cli
