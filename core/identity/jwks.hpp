#pragma once
// JSON Web Key Sets (RFC 7517 §5) as identity providers publish them, OIDC discovery documents, and the
// schedule that decides when to fetch the set again. No I/O: the daemon fetches the documents
// (native/daemon/identity/jwks_cache.hpp) and turns key descriptors into OpenSSL keys
// (jwt_signature.hpp). Time is passed in.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/result.hpp"

namespace sshrelay {

// Documents bigger than this are refused (real sets are 1-5 KiB: Cloudflare's holds two RSA keys plus
// their certificates, Google's IAP set a handful of EC keys).
inline constexpr std::size_t kMaxJwksBytes = 512 * 1024;

// One public key that can verify signatures. Byte strings are decoded big-endian integers / coordinates.
struct Jwk {
  std::string kid;   // may be empty (a set with a single key need not name it)
  std::string kty;   // "RSA" or "EC"
  std::string alg;   // empty when the set does not restrict the key to one algorithm
  std::string use;   // empty or "sig"
  std::string crv;   // EC: "P-256" or "P-384"
  std::vector<std::uint8_t> n, e;  // RSA modulus (at least 2048 bits) and public exponent
  std::vector<std::uint8_t> x, y;  // EC point coordinates, exactly the curve's size each
};

// A key the set holds but the relay cannot use, and why (logged when the set is loaded).
struct SkippedJwk {
  std::size_t index = 0;  // position in "keys"
  std::string kid;
  std::string reason;
};

struct JwkSet {
  std::vector<Jwk> keys;
  std::vector<SkippedJwk> skipped;
};

// Parses a JWKS document: a JSON object with a "keys" array (other members, such as Cloudflare's
// "public_cert(s)", are ignored). The whole document is an error when it is not such an object or is
// over kMaxJwksBytes. Single keys are skipped, with a reason, when: not an object; kty is not RSA or EC
// (symmetric "oct" keys in particular); "use" is present and not "sig"; "key_ops" is present without
// "verify"; "alg" is present and not one core/jwt.hpp accepts, or does not fit the key type or curve;
// RSA n/e missing or not base64url, or n under 2048 bits; EC crv other than P-256/P-384 or x/y missing
// or of the wrong length; its kid repeats an earlier usable key's kid (the first one wins).
// Key material is decoded leniently about trailing '=' padding, which some publishers add.
Result<JwkSet> parse_jwks(std::string_view document);

// The jwks_uri of an OpenID Provider configuration document (OIDC Discovery 1.0 §3/§4.3): the document's
// "issuer" must equal `expected_issuer` exactly, and jwks_uri must be an https:// URL.
Result<std::string> parse_oidc_discovery(std::string_view document, std::string_view expected_issuer);

// The discovery URL for an issuer: issuer (without a trailing '/') + "/.well-known/openid-configuration".
std::string oidc_discovery_url(std::string_view issuer);

// When to fetch a JWKS, in a monotonic time the caller supplies (any epoch, milliseconds).
//
// - Start: a fetch is due at once.
// - After a success, the next fetch is due `refresh_interval` later (periodic refresh picks up keys
//   published ahead of a rotation and drops retired ones).
// - After a failure, retry with exponential backoff: initial_backoff, doubled each time, at most
//   max_backoff. Keys from an earlier success stay in use meanwhile.
// - A token naming an unknown kid asks for a fetch at once, granted only when no fetch is in flight
//   and no other such on-demand fetch started in the last `min_interval` — so a stream of forged kids
//   costs the provider at most one extra request per min_interval. (Scheduled fetches do not count: a key
//   rotated in just after one is still picked up at once.) While a fetch is in flight, callers wait for
//   it instead.
class JwksRefreshSchedule {
 public:
  using Millis = std::chrono::milliseconds;
  struct Settings {
    Millis min_interval{30'000};
    Millis refresh_interval{600'000};
    Millis initial_backoff{1'000};
    Millis max_backoff{60'000};
  };
  enum class Demand {
    start_fetch,     // start one now (then call fetch_started)
    wait_for_fetch,  // one is in flight: wait for its outcome
    rate_limited,    // too soon after the last one: answer "unknown kid" now
  };

  explicit JwksRefreshSchedule(Settings settings);

  // A token named a kid that the current set does not hold.
  Demand on_unknown_kid(Millis now) const;
  // on_demand: started because on_unknown_kid said start_fetch (counts against min_interval).
  void fetch_started(Millis now, bool on_demand = false);
  void fetch_succeeded(Millis now);
  void fetch_failed(Millis now);

  bool in_flight() const { return in_flight_; }
  // When the next scheduled fetch (first, periodic or retry) is due; nullopt while one is in flight.
  std::optional<Millis> next_fetch_at() const;
  // Earliest time an unknown kid may start a fetch; nullopt when it may now (or one is in flight).
  std::optional<Millis> on_demand_allowed_at(Millis now) const;
  unsigned consecutive_failures() const { return failures_; }

 private:
  Settings settings_;
  bool in_flight_ = false;
  std::optional<Millis> last_demand_start_;
  Millis next_due_{0};
  unsigned failures_ = 0;
};

}  // namespace sshrelay
