#pragma once
// Who is asking: the identity of a relay request, from the JWT an identity-aware proxy attached
// (Cloudflare Access, GCP IAP, any OIDC provider), or from the operator's word that a proxy in front
// already enforces authentication (provider "none"). See docs/identity.md.
//
// Per request: find the token (core/token_source.hpp), parse it (core/jwt.hpp), refuse algorithms the
// provider does not use, check exp/nbf/iat/aud/iss, find the key by kid (JwksCache, which may refresh),
// verify the signature (jwt_signature.hpp), and name the principal (email, else sub). Claims are checked
// before the key lookup so that expired or foreign tokens never cost the provider a JWKS refresh.
//
// Tokens never appear in a log line or an error message.
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/identity/jwt.hpp"
#include "core/common/result.hpp"
#include "core/policy/target_policy.hpp"
#include "core/identity/token_source.hpp"
#include "native/daemon/identity/identity_config.hpp"
#include "native/daemon/identity/jwks_cache.hpp"

namespace sshrelay::daemon::identity {


// What one provider means once defaults are filled in (for the startup log and the tests).
struct ResolvedIdentity {
  std::string provider;
  TokenSources sources;
  std::vector<JwsAlgorithm> algorithms;  // empty for none
  ClaimRules rules;
  std::string jwks_url;                  // empty for none, or oidc with discovery
};
Result<ResolvedIdentity> resolve_identity(const IdentityConfig& config);

struct Principal {
  std::string name;       // email (else sub); for provider none: "anonymous" or the user header's value
  nlohmann::json claims;  // the verified claims (an empty object for provider none)
  std::string source;     // where the token was found, e.g. "cookie CF_Authorization": safe to log
  bool anonymous = false; // provider none without a user header: nobody in particular (no per-principal cap)
};

// What the target policy's per-principal rules look at: the name, and the token's "groups" claim (the
// strings of it, when it is an array; OIDC providers such as Keycloak and Okta send it).
PrincipalView principal_view(const Principal& principal);

class Authenticator {
 public:
  // Throws std::invalid_argument with validate()'s message for a bad configuration, and
  // boost::system::system_error when the CA file cannot be loaded.
  Authenticator(boost::asio::io_context& ioc, IdentityConfig config);
  ~Authenticator();
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  // Starts fetching the JWKS (no-op for provider none). Never fails: an unreachable provider is logged
  // and retried, and requests are refused meanwhile.
  void start();
  void stop();

  using Handler = std::function<void(Result<Principal>)>;
  // Authenticates one request. `req` is read before this returns (it need not outlive the call).
  // `done` is called exactly once, never from within this call, on a thread running the io_context (any
  // strand: post to your own). Errors carry the reason for the log and the audit trail — which check
  // failed and where the token came from, never the token: refuse the request with 4401 (WebSocket) or
  // 401. ErrorKind::remote_protocol means the client's token is at fault (missing, malformed, expired,
  // forged...); ErrorKind::local means the relay could not check it (JWKS unavailable).
  void async_authenticate(const boost::beast::http::request_header<>& req, Handler done) const;

  const ResolvedIdentity& resolved() const { return resolved_; }
  // One line for the startup log: provider, token sources, issuer, audiences, JWKS URL.
  std::string describe() const;
  // The key cache (nullptr for provider none).
  std::shared_ptr<JwksCache> jwks() const { return jwks_; }

  // Tests only: the Unix time used for exp/nbf/iat. Call before start().
  void set_clock_for_testing(std::function<std::int64_t()> now_unix_seconds);

 private:
  boost::asio::io_context& ioc_;
  IdentityConfig config_;
  ResolvedIdentity resolved_;
  std::shared_ptr<JwksCache> jwks_;
  std::function<std::int64_t()> now_;
};

}  // namespace sshrelay::daemon::identity
