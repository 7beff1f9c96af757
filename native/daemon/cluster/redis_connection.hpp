#pragma once
// One connection to the session directory's Redis (or Valkey), driven by Asio. hiredis (Debian's
// libhiredis-dev) does what it is good at — formatting commands and parsing RESP replies — and this
// class does the I/O: plain TCP or TLS (rediss://, OpenSSL through Asio, which hiredis 0.14 lacks),
// AUTH and SELECT after connecting, many commands in flight (pipelined), a reply deadline, and
// reconnecting with backoff after any failure. Everything runs on the strand it is given.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/cluster/directory_schema.hpp"
#include "core/cluster/redis_url.hpp"
#include "core/common/result.hpp"

struct redisReader;

namespace sshrelay::daemon::cluster_io {

namespace net = boost::asio;

// One RESP reply. Redis's error replies ("-ERR ...") are replies too (type error, the text in `text`).
struct RedisReply {
  enum class Type { string, status, integer, nil, array, error } type = Type::nil;
  std::string text;
  long long integer = 0;
  std::vector<RedisReply> elements;

  // An array of strings as strings (HGETALL, SMEMBERS): nil elements become empty strings.
  std::vector<std::string> strings() const;
};

using RedisCallback = std::function<void(Result<RedisReply>)>;

class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
 public:
  using Strand = net::strand<net::io_context::executor_type>;
  struct Options {
    cluster::RedisUrl url;
    std::string ca_file;  // rediss://: trust this CA (PEM) instead of the system's
    std::chrono::milliseconds connect_timeout{3000};
    std::chrono::milliseconds reply_timeout{3000};
    std::chrono::milliseconds retry_min{250}, retry_max{5000};
  };
  // `on_state(up, why)`: the connection came up (after AUTH and SELECT), or went down (why says how).
  RedisConnection(Strand strand, Options options, std::function<void(bool up, const std::string& why)> on_state);
  ~RedisConnection();

  void start();
  void stop();
  const Strand& strand() const { return strand_; }
  bool up() const { return up_; }  // on the strand

  // Queues a command (on the strand). The callback runs on the strand with its reply, or with an error
  // if the connection is down or fails before the reply comes.
  void send(const cluster::Command& command, RedisCallback done);
  // Sends the commands in order; `done` gets every reply, or the first failure (a Redis error reply
  // counts as one).
  void send_all(const std::vector<cluster::Command>& commands, std::function<void(Result<std::vector<RedisReply>>)> done);

 private:
  struct Pending {
    RedisCallback done;
    std::chrono::steady_clock::time_point sent;
  };
  void connect();
  void on_resolved(boost::system::error_code ec, net::ip::tcp::resolver::results_type results);
  void on_connected(boost::system::error_code ec);
  void on_handshake(boost::system::error_code ec);
  void introduce();  // AUTH, SELECT, then up
  void enqueue(const cluster::Command& command, RedisCallback done);
  void do_write();
  void do_read();
  void on_read(boost::system::error_code ec, std::size_t n);
  void arm_watchdog();
  void fail(const std::string& why);
  void schedule_retry();

  template <class Handler>
  void async_read_some(net::mutable_buffer buffer, Handler&& handler);
  template <class Handler>
  void async_write(net::const_buffer buffer, Handler&& handler);

  Strand strand_;
  Options options_;
  std::function<void(bool, const std::string&)> on_state_;
  std::optional<net::ssl::context> tls_context_;
  net::ip::tcp::resolver resolver_;
  std::optional<net::ip::tcp::socket> socket_;
  std::optional<net::ssl::stream<net::ip::tcp::socket&>> tls_;
  net::steady_timer timer_;     // connect deadline, reply watchdog, retry backoff
  redisReader* reader_ = nullptr;
  std::deque<Pending> pending_;  // replies awaited, in order
  std::string outgoing_, writing_;
  bool write_in_flight_ = false;
  bool connected_ = false;  // the transport is open (commands may be written)
  bool up_ = false;         // and introduced
  bool stopped_ = false;
  std::uint64_t generation_ = 0;  // bumped at every failure: stale completions recognise themselves
  std::chrono::milliseconds retry_delay_;
  std::array<char, 16 * 1024> read_buffer_{};
};

}  // namespace sshrelay::daemon::cluster_io
