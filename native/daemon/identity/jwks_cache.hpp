#pragma once
// The identity provider's signing keys, fetched over HTTPS and kept by kid.
//
// - Fetch: GET the JWKS URL (or, when none is configured, the OIDC discovery document at
//   <issuer>/.well-known/openid-configuration first, for its jwks_uri) over TLS 1.2+, verifying the
//   server's certificate and name against the system trust store plus an optional CA file. One deadline
//   covers resolve, connect, handshake, request and response; bodies over 512 KiB are refused; anything
//   but 200 is a failure; redirects are not followed.
// - Startup: the first fetch starts at once. A failure is logged (warn) and retried with backoff (1 s,
//   doubling, at most 60 s): never fatal, so the relay serves /healthz while the provider is down, and
//   authentication fails closed meanwhile.
// - Refresh: every `refresh_interval` after a success; and when a token names a kid the set lacks, at
//   most once per `refresh_min_interval` counting only such on-demand fetches (lookups arriving while a
//   fetch is in flight wait for it).
//   A successful fetch replaces the whole set (rotation: new kids appear, retired ones go). A failed one,
//   or one yielding no usable key, keeps the previous set.
// - Every fetch outcome is logged on one line (URL, key count, kids, skipped keys and why). No token ever
//   reaches this class.
//
// Thread safety: every member function may be called from any thread. Fetches and timers run on a
// strand of the io_context; lookups are answered on that strand.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/identity/jwks.hpp"
#include "core/common/result.hpp"
#include "native/daemon/identity/jwt_signature.hpp"

namespace sshrelay::daemon::identity {

struct JwksCacheOptions {
  std::string jwks_url;  // https://...; empty: discover it from `issuer`
  std::string issuer;    // OIDC issuer for discovery (only used when jwks_url is empty)
  std::string ca_file;   // extra PEM trust anchors; empty: the system store only
  std::chrono::seconds refresh_min_interval{30};
  std::chrono::seconds refresh_interval{600};
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{60'000};
  std::chrono::seconds fetch_timeout{10};
  std::string log_name = "JWKS";  // how log lines name this cache, e.g. "cloudflare-access JWKS"
};

using KeyLookup = Result<std::shared_ptr<const VerificationKey>>;

class JwksCache : public std::enable_shared_from_this<JwksCache> {
 public:
  // Throws std::invalid_argument for an unusable URL (not https://, no host) and
  // boost::system::system_error when the CA file cannot be loaded.
  static std::shared_ptr<JwksCache> create(boost::asio::io_context& ioc, JwksCacheOptions options);
  ~JwksCache();

  // Starts the first fetch and the refresh timer. Idempotent.
  void start();
  // Cancels the timer and any fetch in flight; waiting lookups fail. Idempotent. Lookups after stop()
  // are answered from the keys held, without fetching.
  void stop();

  // Finds the key for `kid` (a token without a kid matches only a set holding exactly one key). When the
  // set lacks it, a refresh may run first (see the rate limit above). `done` is never called from within
  // async_find; it runs on this cache's strand. Errors are protocol errors when the token's kid is at
  // fault and local errors when the JWKS is unavailable.
  void async_find(std::string kid, std::function<void(KeyLookup)> done);

  // The key for `kid` among those held now, without fetching; nullptr when absent.
  std::shared_ptr<const VerificationKey> find(std::string_view kid) const;

  // Replaces the key set with a JWKS document's usable keys, as a successful fetch does. Fails (and
  // keeps the current set) when the document is malformed or holds no usable key. For tests and for
  // sets that are configured rather than fetched.
  Result<std::size_t> install(std::string_view jwks_document);

  struct Stats {
    std::size_t keys = 0;
    std::uint64_t fetches_ok = 0;
    std::uint64_t fetches_failed = 0;
    std::string last_error;  // of the latest failed fetch, empty after a success
    std::string jwks_url;    // as configured or discovered
    // The OIDC discovery document that named it (empty when the JWKS URL was configured): the relay's
    // /.well-known/swsrs-config copies the provider's login endpoints from it.
    std::string discovery_document;
  };
  Stats stats() const;

 private:
  struct KeySet;
  class HttpsGet;
  JwksCache(boost::asio::io_context& ioc, JwksCacheOptions options);

  using Millis = std::chrono::milliseconds;
  static Millis now();
  void arm_timer();
  void start_fetch(bool on_demand);
  void fetch_jwks();
  void finish_fetch(Result<std::size_t> outcome);
  void answer(std::string kid, const std::function<void(KeyLookup)>& done, bool after_refresh);
  void fail_fetch(const std::string& reason);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sshrelay::daemon::identity
