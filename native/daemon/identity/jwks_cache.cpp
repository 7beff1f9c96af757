#include "native/daemon/identity/jwks_cache.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "core/identity/jwt.hpp"
#include "core/common/quote.hpp"
#include "native/daemon/https_url.hpp"
#include "native/daemon/log.hpp"

namespace sshrelay::daemon::identity {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Strand = net::strand<net::io_context::executor_type>;

constexpr std::size_t kMaxWaiters = 4096;
constexpr std::uint32_t kMaxHeaderBytes = 32 * 1024;
// An identity provider may put a query in its JWKS or discovery URL (they hold public keys only).
constexpr HttpsUrlRules kJwksUrlRules{.allow_query = true};

std::string seconds_text(std::chrono::milliseconds ms) {
  if (ms < std::chrono::seconds(1)) return std::to_string(std::max<std::int64_t>(0, ms.count())) + " ms";
  const auto tenths = ms.count() / 100;
  return std::to_string(tenths / 10) + (tenths % 10 ? "." + std::to_string(tenths % 10) : std::string()) + " s";
}

}  // namespace

// One GET over HTTPS with a single deadline, on the cache's strand.
class JwksCache::HttpsGet : public std::enable_shared_from_this<HttpsGet> {
 public:
  using Done = std::function<void(Result<std::string>)>;

  HttpsGet(Strand strand, ssl::context& tls, HttpsUrl url, std::chrono::seconds timeout, Done done)
      : resolver_(strand), stream_(strand, tls), deadline_(strand), url_(std::move(url)), timeout_(timeout),
        done_(std::move(done)) {}

  void run() {
    parser_.body_limit(kMaxJwksBytes);
    parser_.header_limit(kMaxHeaderBytes);
    deadline_.expires_after(timeout_);
    deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->timed_out_ = true;
      self->abort();
    });
    resolver_.async_resolve(url_.host, std::to_string(url_.port),
                            [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
                              self->on_resolve(ec, std::move(results));
                            });
  }

  // Must run on the strand.
  void cancel() {
    cancelled_ = true;
    abort();
  }

 private:
  void abort() {
    resolver_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

  void fail(beast::error_code ec, const char* what) {
    if (timed_out_) return finish(local_error(url_.text + ": timed out after " + std::to_string(timeout_.count()) + " s"));
    if (cancelled_) return finish(local_error(url_.text + ": cancelled"));
    finish(local_error(url_.text + ": " + what + ": " + ec.message()));
  }

  void on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
    if (ec || timed_out_ || cancelled_) return fail(ec, "resolve");
    beast::get_lowest_layer(stream_).async_connect(
        results, [self = shared_from_this()](beast::error_code e, const tcp::endpoint&) { self->on_connect(e); });
  }

  void on_connect(beast::error_code ec) {
    if (ec || timed_out_ || cancelled_) return fail(ec, "connect");
    if (!url_.host_is_ip && !SSL_set_tlsext_host_name(stream_.native_handle(), url_.host.c_str())) {
      return fail(beast::error_code(static_cast<int>(::ERR_get_error()), net::error::get_ssl_category()), "SNI");
    }
    stream_.set_verify_mode(ssl::verify_peer);
    stream_.set_verify_callback(ssl::host_name_verification(url_.host));
    stream_.async_handshake(ssl::stream_base::client,
                            [self = shared_from_this()](beast::error_code e) { self->on_handshake(e); });
  }

  void on_handshake(beast::error_code ec) {
    if (ec || timed_out_ || cancelled_) return fail(ec, "TLS handshake");
    request_ = {http::verb::get, url_.target, 11};
    request_.set(http::field::host, url_.host_header());
    request_.set(http::field::user_agent, "sshrelayd");
    request_.set(http::field::accept, "application/json");
    request_.set(http::field::connection, "close");
    http::async_write(stream_, request_,
                      [self = shared_from_this()](beast::error_code e, std::size_t) { self->on_write(e); });
  }

  void on_write(beast::error_code ec) {
    if (ec || timed_out_ || cancelled_) return fail(ec, "send request");
    http::async_read(stream_, buffer_, parser_,
                     [self = shared_from_this()](beast::error_code e, std::size_t) { self->on_read(e); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return finish(local_error(url_.text + ": response is over " + std::to_string(kMaxJwksBytes) + " bytes"));
    }
    if (ec || timed_out_ || cancelled_) return fail(ec, "read response");
    auto& response = parser_.get();
    if (response.result() != http::status::ok) {
      return finish(local_error(url_.text + ": HTTP " + std::to_string(response.result_int()) + " " +
                                std::string(response.reason())));
    }
    finish(std::move(response.body()));
  }

  void finish(Result<std::string> outcome) {
    if (!done_) return;
    deadline_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);  // Connection: close; no TLS shutdown wait
    auto done = std::move(done_);
    done_ = nullptr;
    done(std::move(outcome));
  }

  tcp::resolver resolver_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  net::steady_timer deadline_;
  HttpsUrl url_;
  std::chrono::seconds timeout_;
  Done done_;
  http::request<http::empty_body> request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  bool timed_out_ = false;
  bool cancelled_ = false;
};

struct JwksCache::KeySet {
  std::vector<std::shared_ptr<const VerificationKey>> keys;
};

struct JwksCache::Impl {
  Impl(net::io_context& ioc, JwksCacheOptions o)
      : strand(net::make_strand(ioc)),
        timer(strand),
        options(std::move(o)),
        schedule({std::chrono::duration_cast<Millis>(options.refresh_min_interval),
                  std::chrono::duration_cast<Millis>(options.refresh_interval), options.initial_backoff,
                  options.max_backoff}),
        tls(ssl::context::tls_client) {}

  Strand strand;
  net::steady_timer timer;
  JwksCacheOptions options;
  JwksRefreshSchedule schedule;  // strand
  ssl::context tls;
  std::optional<HttpsUrl> jwks_url;  // strand: configured, or found by discovery
  bool started = false;              // strand
  bool stopped = false;              // strand
  std::shared_ptr<HttpsGet> fetch;   // strand: the request in flight
  std::vector<std::pair<std::string, std::function<void(KeyLookup)>>> waiters;  // strand
  std::chrono::steady_clock::time_point last_success{};                        // strand

  mutable std::mutex mutex;  // guards keys and stats
  std::shared_ptr<const KeySet> keys = std::make_shared<KeySet>();
  Stats stats;
};

std::shared_ptr<JwksCache> JwksCache::create(net::io_context& ioc, JwksCacheOptions options) {
  return std::shared_ptr<JwksCache>(new JwksCache(ioc, std::move(options)));
}

JwksCache::JwksCache(net::io_context& ioc, JwksCacheOptions options) : impl_(std::make_unique<Impl>(ioc, std::move(options))) {
  auto& o = impl_->options;
  if (o.jwks_url.empty() && o.issuer.empty()) throw std::invalid_argument("JWKS: neither a JWKS URL nor an issuer to discover it from");
  if (!o.jwks_url.empty()) {
    auto url = parse_https_url(o.jwks_url, kJwksUrlRules);
    if (!url) throw std::invalid_argument("JWKS " + url.error().message);
    impl_->jwks_url = std::move(*url);
  } else if (auto url = parse_https_url(oidc_discovery_url(o.issuer), kJwksUrlRules); !url) {
    throw std::invalid_argument("OIDC discovery " + url.error().message);
  }
  impl_->stats.jwks_url = o.jwks_url;
  auto& tls = impl_->tls;
  tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  tls.set_default_verify_paths();
  if (!o.ca_file.empty()) tls.load_verify_file(o.ca_file);
  tls.set_verify_mode(ssl::verify_peer);
}

JwksCache::~JwksCache() = default;

JwksCache::Millis JwksCache::now() {
  return std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now().time_since_epoch());
}

void JwksCache::start() {
  net::post(impl_->strand, [self = shared_from_this()] {
    auto& s = *self->impl_;
    if (s.started || s.stopped) return;
    s.started = true;
    self->arm_timer();
  });
}

void JwksCache::stop() {
  net::post(impl_->strand, [self = shared_from_this()] {
    auto& s = *self->impl_;
    if (s.stopped) return;
    s.stopped = true;
    s.timer.cancel();
    if (s.fetch) s.fetch->cancel();  // its completion fails the waiters
  });
}

void JwksCache::arm_timer() {
  auto& s = *impl_;
  if (s.stopped || !s.started) return;
  const auto due = s.schedule.next_fetch_at();
  if (!due) return;  // a fetch is in flight; its completion re-arms
  const auto delay = std::max(Millis(0), *due - now());
  s.timer.expires_after(delay);
  s.timer.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec) return;  // cancelled or re-armed
    auto& st = *self->impl_;
    if (st.stopped || st.schedule.in_flight()) return;
    const auto next = st.schedule.next_fetch_at();
    if (next && *next > now()) return self->arm_timer();  // re-armed meanwhile
    self->start_fetch(false);
  });
}

void JwksCache::start_fetch(bool on_demand) {
  auto& s = *impl_;
  s.schedule.fetch_started(now(), on_demand);
  s.timer.cancel();
  if (s.jwks_url) return fetch_jwks();
  // OIDC discovery first; the jwks_uri found is kept for later fetches.
  auto url = parse_https_url(oidc_discovery_url(s.options.issuer), kJwksUrlRules);
  if (!url) return fail_fetch(url.error().message);
  s.fetch = std::make_shared<HttpsGet>(s.strand, s.tls, std::move(*url), s.options.fetch_timeout,
                                       [self = shared_from_this()](Result<std::string> body) {
                                         auto& st = *self->impl_;
                                         st.fetch.reset();
                                         if (!body) return self->fail_fetch("OIDC discovery " + body.error().message);
                                         auto uri = parse_oidc_discovery(*body, st.options.issuer);
                                         if (!uri) return self->fail_fetch("OIDC discovery: " + uri.error().message);
                                         auto jwks = parse_https_url(*uri, kJwksUrlRules);
                                         if (!jwks) return self->fail_fetch("OIDC discovery: jwks_uri " + jwks.error().message);
                                         log(LogLevel::info, st.options.log_name + ": OIDC discovery for " +
                                                                 st.options.issuer + " names jwks_uri " + *uri);
                                         st.jwks_url = std::move(*jwks);
                                         {
                                           std::lock_guard lock(st.mutex);
                                           st.stats.jwks_url = *uri;
                                           st.stats.discovery_document = *body;
                                         }
                                         if (st.stopped) return self->fail_fetch("stopped");
                                         self->fetch_jwks();
                                       });
  s.fetch->run();
}

void JwksCache::fetch_jwks() {
  auto& s = *impl_;
  s.fetch = std::make_shared<HttpsGet>(s.strand, s.tls, *s.jwks_url, s.options.fetch_timeout,
                                       [self = shared_from_this()](Result<std::string> body) {
                                         auto& st = *self->impl_;
                                         st.fetch.reset();
                                         if (!body) return self->fail_fetch(body.error().message);
                                         auto installed = self->install(*body);
                                         if (!installed) return self->fail_fetch(st.jwks_url->text + ": " + installed.error().message);
                                         self->finish_fetch(*installed);
                                       });
  s.fetch->run();
}

void JwksCache::fail_fetch(const std::string& reason) {
  auto& s = *impl_;
  s.schedule.fetch_failed(now());
  bool have_keys = false;
  {
    std::lock_guard lock(s.mutex);
    ++s.stats.fetches_failed;
    s.stats.last_error = reason;
    have_keys = !s.keys->keys.empty();
  }
  if (!s.stopped) {
    const auto retry = *s.schedule.next_fetch_at() - now();
    log(LogLevel::warn, s.options.log_name + " fetch failed: " + reason + "; retrying in " + seconds_text(retry) +
                            (have_keys ? " (the keys fetched earlier stay in use)"
                                       : " (no keys yet: every token is refused until a fetch succeeds)"));
  }
  finish_fetch(local_error(s.options.log_name + " unavailable: " + reason));
}

void JwksCache::finish_fetch(Result<std::size_t> outcome) {
  auto& s = *impl_;
  if (outcome) {
    s.schedule.fetch_succeeded(now());
    std::lock_guard lock(s.mutex);
    ++s.stats.fetches_ok;
    s.stats.last_error.clear();
  }
  auto waiters = std::move(s.waiters);
  s.waiters.clear();
  for (auto& [kid, done] : waiters) answer(std::move(kid), done, true);
  arm_timer();
}

Result<std::size_t> JwksCache::install(std::string_view document) {
  auto set = parse_jwks(document);
  if (!set) return set.error();
  auto fresh = std::make_shared<KeySet>();
  std::string kids;
  std::string skipped;
  for (const auto& skip : set->skipped) {
    skipped += "; skipped key #" + std::to_string(skip.index) + " " + quote(skip.kid) + ": " + skip.reason;
  }
  for (const auto& jwk : set->keys) {
    auto key = VerificationKey::from_jwk(jwk);
    if (!key) {
      skipped += "; skipped key " + quote(jwk.kid) + ": " + key.error().message;
      continue;
    }
    kids += (kids.empty() ? "" : ", ") + quote(jwk.kid) + " " + jwk.kty + (jwk.alg.empty() ? "" : " " + jwk.alg);
    fresh->keys.push_back(std::move(*key));
  }
  if (fresh->keys.empty()) return protocol_error("the JWKS holds no usable key" + skipped);
  const std::size_t count = fresh->keys.size();
  std::string url;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->keys = std::move(fresh);
    impl_->stats.keys = count;
    url = impl_->stats.jwks_url;
  }
  log(LogLevel::info, impl_->options.log_name + " " + (url.empty() ? std::string("(installed)") : url) + ": " +
                          std::to_string(count) + " key" + (count == 1 ? "" : "s") + " (" + kids + ")" + skipped);
  return count;
}

std::shared_ptr<const VerificationKey> JwksCache::find(std::string_view kid) const {
  std::shared_ptr<const KeySet> keys;
  {
    std::lock_guard lock(impl_->mutex);
    keys = impl_->keys;
  }
  if (kid.empty()) return keys->keys.size() == 1 ? keys->keys.front() : nullptr;
  for (const auto& key : keys->keys) {
    if (key->kid() == kid) return key;
  }
  return nullptr;
}

void JwksCache::async_find(std::string kid, std::function<void(KeyLookup)> done) {
  net::post(impl_->strand, [self = shared_from_this(), kid = std::move(kid), done = std::move(done)]() mutable {
    self->answer(std::move(kid), done, false);
  });
}

// On the strand: answer now, or wait for a refresh.
void JwksCache::answer(std::string kid, const std::function<void(KeyLookup)>& done, bool after_refresh) {
  auto& s = *impl_;
  if (auto key = find(kid)) return done(std::move(key));
  std::size_t held = 0;
  std::string last_error;
  {
    std::lock_guard lock(s.mutex);
    held = s.keys->keys.size();
    last_error = s.stats.last_error;
  }
  const std::string name = kid.empty() ? std::string("token has no kid and the JWKS holds " + std::to_string(held) + " keys")
                                       : "unknown kid " + quote(kid);
  if (held == 0) {
    // Never fetched successfully: the provider is unreachable (or not yet reached).
    if (!after_refresh && !s.stopped && s.started) {
      const auto demand = s.schedule.on_unknown_kid(now());
      if (demand != JwksRefreshSchedule::Demand::rate_limited && s.waiters.size() < kMaxWaiters) {
        s.waiters.emplace_back(std::move(kid), done);
        if (demand == JwksRefreshSchedule::Demand::start_fetch) start_fetch(true);
        return;
      }
    }
    return done(local_error(s.options.log_name + " unavailable" + (last_error.empty() ? std::string(" (no keys fetched yet)") : ": " + last_error)));
  }
  if (after_refresh || s.stopped || !s.started || kid.empty()) {
    return done(protocol_error(name + (after_refresh ? " (not in the JWKS after a refresh)" : "")));
  }
  const auto demand = s.schedule.on_unknown_kid(now());
  if (demand == JwksRefreshSchedule::Demand::rate_limited) {
    const auto wait = *s.schedule.on_demand_allowed_at(now()) - now();
    return done(protocol_error(name + " (JWKS refresh rate-limited: next allowed in " + seconds_text(wait) + ")"));
  }
  if (s.waiters.size() >= kMaxWaiters) return done(protocol_error(name + " (too many lookups waiting for a JWKS refresh)"));
  s.waiters.emplace_back(std::move(kid), done);
  if (demand == JwksRefreshSchedule::Demand::start_fetch) start_fetch(true);
}

JwksCache::Stats JwksCache::stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->stats;
}

}  // namespace sshrelay::daemon::identity
