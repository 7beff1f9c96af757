#include "native/daemon/cluster/redis_connection.hpp"

#include <hiredis/hiredis.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>

namespace sshrelay::daemon::cluster_io {
namespace {

RedisReply convert(const redisReply* reply) {
  RedisReply out;
  switch (reply->type) {
    case REDIS_REPLY_STRING: out.type = RedisReply::Type::string; break;
    case REDIS_REPLY_STATUS: out.type = RedisReply::Type::status; break;
    case REDIS_REPLY_ERROR: out.type = RedisReply::Type::error; break;
    case REDIS_REPLY_INTEGER: out.type = RedisReply::Type::integer; break;
    case REDIS_REPLY_ARRAY: out.type = RedisReply::Type::array; break;
    default: out.type = RedisReply::Type::nil; break;
  }
  if (reply->str != nullptr) out.text.assign(reply->str, reply->len);
  out.integer = reply->integer;
  for (std::size_t i = 0; i < reply->elements; ++i) out.elements.push_back(convert(reply->element[i]));
  return out;
}

std::string formatted(const cluster::Command& command) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& word : command) {
    argv.push_back(word.data());
    lengths.push_back(word.size());
  }
  char* encoded = nullptr;
  const int n = redisFormatCommandArgv(&encoded, static_cast<int>(argv.size()), argv.data(), lengths.data());
  if (n < 0 || encoded == nullptr) throw std::bad_alloc();
  std::string out(encoded, static_cast<std::size_t>(n));
  redisFreeCommand(encoded);
  return out;
}

}  // namespace

std::vector<std::string> RedisReply::strings() const {
  std::vector<std::string> out;
  out.reserve(elements.size());
  for (const auto& element : elements) out.push_back(element.text);
  return out;
}

RedisConnection::RedisConnection(Strand strand, Options options, std::function<void(bool, const std::string&)> on_state)
    : strand_(std::move(strand)),
      options_(std::move(options)),
      on_state_(std::move(on_state)),
      resolver_(strand_),
      timer_(strand_),
      retry_delay_(options_.retry_min) {
  if (options_.url.tls) {
    tls_context_.emplace(net::ssl::context::tls_client);
    tls_context_->set_verify_mode(net::ssl::verify_peer);
    if (options_.ca_file.empty()) {
      tls_context_->set_default_verify_paths();
    } else {
      tls_context_->load_verify_file(options_.ca_file);
    }
  }
}

RedisConnection::~RedisConnection() {
  if (reader_ != nullptr) redisReaderFree(reader_);
}

void RedisConnection::start() {
  net::dispatch(strand_, [self = shared_from_this()] { self->connect(); });
}

void RedisConnection::stop() {
  net::dispatch(strand_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->timer_.cancel();
    self->resolver_.cancel();
    self->fail("stopping");
  });
}

void RedisConnection::connect() {
  if (stopped_) return;
  const auto generation = generation_;
  timer_.expires_after(options_.connect_timeout);
  timer_.async_wait([self = shared_from_this(), generation](boost::system::error_code ec) {
    if (ec || generation != self->generation_ || self->up_) return;
    self->fail("no connection within " + std::to_string(self->options_.connect_timeout.count()) + " ms");
  });
  resolver_.async_resolve(options_.url.host, std::to_string(options_.url.port),
                          [self = shared_from_this(), generation](boost::system::error_code ec, auto results) {
                            if (generation != self->generation_) return;
                            self->on_resolved(ec, std::move(results));
                          });
}

void RedisConnection::on_resolved(boost::system::error_code ec, net::ip::tcp::resolver::results_type results) {
  if (ec) return fail("cannot resolve " + options_.url.host + ": " + ec.message());
  socket_.emplace(strand_);
  const auto generation = generation_;
  net::async_connect(*socket_, results, [self = shared_from_this(), generation](boost::system::error_code e, const auto&) {
    if (generation != self->generation_) return;
    self->on_connected(e);
  });
}

void RedisConnection::on_connected(boost::system::error_code ec) {
  if (ec) return fail("cannot connect to " + options_.url.redacted() + ": " + ec.message());
  boost::system::error_code ignored;
  socket_->set_option(net::ip::tcp::no_delay(true), ignored);
  if (!tls_context_) return on_handshake({});
  tls_.emplace(*socket_, *tls_context_);
  tls_->set_verify_callback(net::ssl::host_name_verification(options_.url.host));
  if (!SSL_set_tlsext_host_name(tls_->native_handle(), options_.url.host.c_str())) {
    return fail("cannot set the TLS server name " + options_.url.host);
  }
  const auto generation = generation_;
  tls_->async_handshake(net::ssl::stream_base::client, [self = shared_from_this(), generation](boost::system::error_code e) {
    if (generation != self->generation_) return;
    self->on_handshake(e);
  });
}

void RedisConnection::on_handshake(boost::system::error_code ec) {
  if (ec) return fail("TLS handshake with " + options_.url.redacted() + ": " + ec.message());
  if (reader_ != nullptr) redisReaderFree(reader_);
  reader_ = redisReaderCreate();
  if (reader_ == nullptr) throw std::bad_alloc();
  connected_ = true;
  do_read();
  introduce();
}

void RedisConnection::introduce() {
  std::vector<cluster::Command> hello;
  if (!options_.url.password.empty()) {
    if (options_.url.user.empty()) {
      hello.push_back({"AUTH", options_.url.password});
    } else {
      hello.push_back({"AUTH", options_.url.user, options_.url.password});
    }
  }
  if (options_.url.database != 0) hello.push_back({"SELECT", std::to_string(options_.url.database)});
  const auto become_up = [self = shared_from_this()] {
    self->timer_.cancel();
    self->up_ = true;
    self->retry_delay_ = self->options_.retry_min;
    self->arm_watchdog();
    self->on_state_(true, "connected to " + self->options_.url.redacted());
  };
  if (hello.empty()) return become_up();
  std::vector<RedisReply> none;
  // AUTH and SELECT go first, even while not yet "up".
  auto remaining = std::make_shared<std::size_t>(hello.size());
  auto failed = std::make_shared<bool>(false);
  for (const auto& command : hello) {
    enqueue(command, [self = shared_from_this(), remaining, failed, become_up, verb = command.front()](Result<RedisReply> reply) {
      if (*failed) return;
      if (!reply || reply->type == RedisReply::Type::error) {
        *failed = true;
        return self->fail(verb + " refused: " + (reply ? reply->text : reply.error().message));
      }
      if (--*remaining == 0) become_up();
    });
  }
}

void RedisConnection::send(const cluster::Command& command, RedisCallback done) {
  net::dispatch(strand_, [self = shared_from_this(), command, done = std::move(done)]() mutable {
    if (!self->up_) return done(local_error("the session directory (Redis) is not connected"));
    self->enqueue(command, std::move(done));
  });
}

void RedisConnection::send_all(const std::vector<cluster::Command>& commands,
                               std::function<void(Result<std::vector<RedisReply>>)> done) {
  struct Gather {
    std::vector<RedisReply> replies;
    std::optional<Error> error;
    std::size_t remaining;
    std::function<void(Result<std::vector<RedisReply>>)> done;
  };
  if (commands.empty()) return net::dispatch(strand_, [done = std::move(done)] { done(std::vector<RedisReply>()); });
  auto gather = std::make_shared<Gather>();
  gather->replies.resize(commands.size());
  gather->remaining = commands.size();
  gather->done = std::move(done);
  for (std::size_t i = 0; i < commands.size(); ++i) {
    send(commands[i], [gather, i, verb = commands[i].front()](Result<RedisReply> reply) {
      if (!reply) {
        if (!gather->error) gather->error = reply.error();
      } else if (reply->type == RedisReply::Type::error) {
        if (!gather->error) gather->error = protocol_error("Redis refused " + verb + ": " + reply->text);
      } else {
        gather->replies[i] = std::move(*reply);
      }
      if (--gather->remaining > 0) return;
      if (gather->error) return gather->done(*gather->error);
      gather->done(std::move(gather->replies));
    });
  }
}

void RedisConnection::enqueue(const cluster::Command& command, RedisCallback done) {
  outgoing_ += formatted(command);
  pending_.push_back({std::move(done), std::chrono::steady_clock::now()});
  do_write();
}

template <class Handler>
void RedisConnection::async_read_some(net::mutable_buffer buffer, Handler&& handler) {
  if (tls_) return tls_->async_read_some(buffer, std::forward<Handler>(handler));
  socket_->async_read_some(buffer, std::forward<Handler>(handler));
}

template <class Handler>
void RedisConnection::async_write(net::const_buffer buffer, Handler&& handler) {
  if (tls_) return net::async_write(*tls_, buffer, std::forward<Handler>(handler));
  net::async_write(*socket_, buffer, std::forward<Handler>(handler));
}

void RedisConnection::do_write() {
  if (write_in_flight_ || !connected_ || outgoing_.empty()) return;
  writing_.swap(outgoing_);
  outgoing_.clear();
  write_in_flight_ = true;
  const auto generation = generation_;
  async_write(net::buffer(writing_), [self = shared_from_this(), generation](boost::system::error_code ec, std::size_t) {
    if (generation != self->generation_) return;
    self->write_in_flight_ = false;
    if (ec) return self->fail("write to Redis: " + ec.message());
    self->writing_.clear();
    self->do_write();
  });
}

void RedisConnection::do_read() {
  const auto generation = generation_;
  async_read_some(net::buffer(read_buffer_), [self = shared_from_this(), generation](boost::system::error_code ec, std::size_t n) {
    if (generation != self->generation_) return;
    self->on_read(ec, n);
  });
}

void RedisConnection::on_read(boost::system::error_code ec, std::size_t n) {
  if (ec) return fail(ec == net::error::eof ? "Redis closed the connection" : "read from Redis: " + ec.message());
  if (redisReaderFeed(reader_, read_buffer_.data(), n) != REDIS_OK) return fail("Redis sent more than hiredis can take");
  const auto generation = generation_;
  for (;;) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
      return fail(std::string("Redis sent a malformed reply: ") + reader_->errstr);
    }
    if (raw == nullptr) break;
    auto reply = convert(static_cast<redisReply*>(raw));
    freeReplyObject(raw);
    if (pending_.empty()) return fail("Redis sent a reply nobody asked for");
    auto done = std::move(pending_.front().done);
    pending_.pop_front();
    done(std::move(reply));
    if (generation != generation_) return;  // the callback failed the connection (e.g. AUTH refused)
  }
  do_read();
}

// While up: a reply that does not come within reply_timeout means the connection is dead (a Redis that
// stopped without a FIN, a partition): fail it rather than wait for TCP's own timeout.
void RedisConnection::arm_watchdog() {
  const auto generation = generation_;
  timer_.expires_after(options_.reply_timeout / 2);
  timer_.async_wait([self = shared_from_this(), generation](boost::system::error_code ec) {
    if (ec || generation != self->generation_ || !self->up_) return;
    if (!self->pending_.empty() &&
        std::chrono::steady_clock::now() - self->pending_.front().sent > self->options_.reply_timeout) {
      return self->fail("no reply from Redis within " + std::to_string(self->options_.reply_timeout.count()) + " ms");
    }
    self->arm_watchdog();
  });
}

void RedisConnection::fail(const std::string& why) {
  ++generation_;
  const bool was_up = up_;
  up_ = false;
  connected_ = false;
  write_in_flight_ = false;
  outgoing_.clear();
  writing_.clear();
  tls_.reset();
  if (socket_) {
    boost::system::error_code ignored;
    socket_->close(ignored);
    socket_.reset();
  }
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& p : pending) p.done(local_error("the session directory (Redis) connection failed: " + why));
  if (stopped_) return;
  if (was_up || retry_delay_ == options_.retry_min) on_state_(false, why);
  schedule_retry();
}

void RedisConnection::schedule_retry() {
  timer_.expires_after(retry_delay_);
  retry_delay_ = std::min(retry_delay_ * 2, options_.retry_max);
  const auto generation = generation_;
  timer_.async_wait([self = shared_from_this(), generation](boost::system::error_code ec) {
    if (ec || generation != self->generation_ || self->stopped_) return;
    self->connect();
  });
}

}  // namespace sshrelay::daemon::cluster_io
