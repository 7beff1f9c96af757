#pragma once
// Shared pieces of the integration tests: an io_context on a thread for the client library, bounded
// waits, raw HTTP and raw v4 WebSocket clients (Beast, every operation with a deadline), small TCP
// targets the relay can dial (echo, push N bytes then close), and an in-memory local side for
// RelayConnection whose write speed the test controls.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <atomic>
#include <cstdlib>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/wire/v4_frame.hpp"
#include "native/client/local_stream.hpp"
#include "native/client/relay_connection.hpp"
#include "tests/support/wait_until.hpp"

namespace sshrelay::itest {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

inline constexpr std::uint64_t kMiB = 1 << 20;
// What the bulk transfers of the integration tests move each way.
inline constexpr std::uint64_t kBulkSize = 64 * kMiB;

// How many times `needle` occurs in `text`, not overlapping (log lines counted by the tests).
std::size_t count_occurrences(const std::string& text, const std::string& needle);
using boost::system::error_code;

// The daemon under test, built by this CMake project; SSHRELAY_TEST_RELAYD names another binary (to
// show that a test fails against an older build).
inline const char* relayd_path() {
  const char* other = std::getenv("SSHRELAY_TEST_RELAYD");
  return other && *other ? other : SSHRELAYD_PATH;
}

// The source tree's root, for tests that run files shipped in it (deploy/, scripts/).
std::string source_tree();

// An io_context run by one background thread until destruction.
class IoThread {
 public:
  IoThread();
  ~IoThread();
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;
  asio::io_context& ioc() { return ioc_; }
  // Stops the loop and joins the thread, keeping the io_context: objects holding its timers and sockets
  // can then be destroyed safely before it. Idempotent.
  void stop();

 private:
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
};

using testing::wait_until;

// Client options for ws://127.0.0.1:<relay_port> and a target; logs to stderr when SSHRELAY_TEST_VERBOSE=1.
client::ConnectionOptions client_options(std::uint16_t relay_port, const std::string& target_host,
                                         std::uint16_t target_port, const std::string& user = "tester");

// `size` bytes from std::mt19937_64(seed), 8 bytes per draw, little-endian.
std::vector<std::uint8_t> deterministic_bytes(std::size_t size, std::uint64_t seed);

struct HttpResponse {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lowercase names
};
// Default bounds below are generous on purpose: they only cost time when something is broken, and an ASan
// daemon on a loaded CI machine can take seconds to answer.

// GET http://127.0.0.1:<port><target>; throws std::runtime_error on failure or after `timeout`.
HttpResponse http_get(std::uint16_t port, const std::string& target, std::chrono::milliseconds timeout = 30s,
                      const std::vector<std::pair<std::string, std::string>>& headers = {});

// A raw client for protocol checks. Synchronous, single-threaded; each call has a deadline.
class RawV4Socket {
 public:
  struct Message {
    enum class Kind { message, closed, error, timeout } kind = Kind::error;
    std::vector<std::uint8_t> bytes;  // kind == message
    bool binary = false;
    std::uint16_t close_code = 0;     // kind == closed
    std::string close_reason;
    error_code ec;                    // kind == error
    std::string describe() const;
  };

  // Upgrades to `target` offering subprotocol ssh; throws std::runtime_error (with the HTTP status) if
  // the upgrade fails.
  using Headers = std::vector<std::pair<std::string, std::string>>;
  RawV4Socket(std::uint16_t port, const std::string& target, const std::string& origin = "",
              std::chrono::milliseconds timeout = 30s, const Headers& headers = {});
  ~RawV4Socket();

  std::string subprotocol() const { return subprotocol_; }
  Message read(std::chrono::milliseconds timeout = 30s);
  // Reads until a frame of the wanted kind (skipping ACKs unless asked for), a close or an error.
  Message read_until_not_ack(std::chrono::milliseconds timeout = 30s);
  bool write(std::span<const std::uint8_t> message, std::chrono::milliseconds timeout = 30s);
  bool write_frame(const v4::Frame& frame) { return write(v4::encode(frame)); }
  // Bytes straight onto the TCP socket, bypassing WebSocket framing (to send a partial frame).
  bool write_raw(std::span<const std::uint8_t> bytes, std::chrono::milliseconds timeout = 30s);
  // Resets the TCP connection (SO_LINGER 0): no close frame, as when the network fails.
  void reset();
  // Sends a close frame with `code` and waits (bounded) for the relay's answer or the end of the
  // connection; returns whether a close frame came back.
  bool close_with(std::uint16_t code, const std::string& reason = "", std::chrono::milliseconds timeout = 30s);

 private:
  bool run(std::chrono::milliseconds timeout, const std::atomic<bool>& done);

  asio::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::string subprotocol_;
};

// A loopback TCP server the relay dials. Each accepted connection runs `session` on its own thread with a
// blocking socket. The destructor shuts every socket down and joins all threads.
class TcpTarget {
 public:
  using Session = std::function<void(tcp::socket&)>;
  explicit TcpTarget(Session session);
  ~TcpTarget();
  TcpTarget(const TcpTarget&) = delete;
  TcpTarget& operator=(const TcpTarget&) = delete;

  std::uint16_t port() const { return port_; }
  std::uint64_t accepted() const { return accepted_.load(); }

  // Echoes everything until EOF.
  static Session echo();
  // Writes `bytes` as fast as the socket takes them, shuts down sending, reads until EOF (bounded), closes.
  static Session push(std::shared_ptr<const std::vector<std::uint8_t>> bytes);

 private:
  void accept_loop();

  Session session_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::vector<std::shared_ptr<tcp::socket>> sockets_;
  std::vector<std::thread> threads_;
  std::thread accept_thread_;
};

// What a MemoryLocalStream received, shared with the test.
struct MemorySink {
  mutable std::mutex mutex;
  std::vector<std::uint8_t> data;
  std::atomic<std::uint64_t> write_rate{0};  // bytes per second; 0 = as fast as possible
  std::atomic<bool> closed{false};
  std::size_t size() const {
    std::lock_guard lock(mutex);
    return data.size();
  }
};

// A local side that never produces input (reads stay pending until close) and appends every write to a
// MemorySink, optionally slowed down to sink->write_rate.
class MemoryLocalStream final : public client::LocalStream {
 public:
  MemoryLocalStream(asio::any_io_executor strand, std::shared_ptr<MemorySink> sink);
  asio::any_io_executor get_executor() override { return strand_; }
  void async_read_some(asio::mutable_buffer buffer, Handler handler) override;
  void async_write(asio::const_buffer buffer, Handler handler) override;
  // The "peer" closes as soon as it reads EOF: a pending read completes with eof.
  void shutdown_send() override;
  void close() override;

 private:
  void complete_read(error_code ec);

  asio::any_io_executor strand_;
  std::shared_ptr<MemorySink> sink_;
  asio::steady_timer timer_;
  Handler pending_read_;
  bool eof_ = false;
};

// A RelayConnection over a MemoryLocalStream, with its completion recorded.
class MemoryClient {
 public:
  MemoryClient(asio::io_context& ioc, client::ConnectionOptions options);
  void start();
  bool wait_done(std::chrono::milliseconds timeout);
  bool done() const { return outcome_->done.load(); }
  error_code ec() const;
  client::CloseInfo close() const;
  // "ec=... code=... reason=... detail=..." for failure messages.
  std::string describe() const;

  MemorySink& sink() { return *sink_; }
  client::RelayConnection& connection() { return *connection_; }

 private:
  struct Outcome {
    std::mutex mutex;
    std::atomic<bool> done{false};
    error_code ec;
    client::CloseInfo close;
  };
  std::shared_ptr<MemorySink> sink_ = std::make_shared<MemorySink>();
  std::shared_ptr<Outcome> outcome_ = std::make_shared<Outcome>();
  std::shared_ptr<client::RelayConnection> connection_;
};

// Opens one session with `options` (no reconnects), stops it at once; returns "connected", or how it
// ended (MemoryClient::describe(), e.g. with "code=4403").
std::string open_and_stop(asio::io_context& ioc, client::ConnectionOptions options);

// Decodes a message that must be one v4 frame (a gtest failure otherwise).
v4::Frame frame_of(const RawV4Socket::Message& m);
// Reads DATA frames (skipping ACKs) until `want` payload bytes arrived; returns them.
std::string read_payload(RawV4Socket& ws, std::size_t want);
std::vector<std::uint8_t> bytes_of(std::string_view s);

// The events in a JSONL audit file (sshrelayd --audit-jsonl) whose event.action is `action` (all when
// empty), in file order. Lines that are not JSON fail the test: the file must stay machine-readable. A
// last line without its newline is one the daemon is still writing: it is left for the next read.
std::vector<nlohmann::json> read_audit_events(const std::string& path, const std::string& action = "");

}  // namespace sshrelay::itest
