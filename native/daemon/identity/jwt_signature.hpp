#pragma once
// JWS signature verification with OpenSSL 3: RS256/RS384/RS512 (RSASSA-PKCS1-v1_5) and ES256/ES384
// (ECDSA P-256/P-384, signatures as raw R||S per RFC 7518 §3.4, converted to DER for OpenSSL).
// Keys are built from JWKs (core/jwks.hpp) with EVP_PKEY_fromdata and checked once when loaded.
//
// Refused: alg "none" and HS* (already by core/jwt.hpp's parser, and again here), a token alg that does
// not fit the key's type or curve (RS* with an EC key, ES256 with a P-384 key...), a token alg other than
// the key's "alg" when the JWK names one, a signature of the wrong length, and any signature OpenSSL
// does not verify.
#include <memory>
#include <string>
#include <string_view>

#include "core/identity/jwks.hpp"
#include "core/identity/jwt.hpp"
#include "core/common/result.hpp"

typedef struct evp_pkey_st EVP_PKEY;  // NOLINT(modernize-use-using): OpenSSL's own spelling

namespace sshrelay::daemon::identity {

// A public key ready to verify. Immutable once built; safe to use from many threads at once
// (OpenSSL 3 permits concurrent verification with one EVP_PKEY).
class VerificationKey {
 public:
  // Builds the OpenSSL key and validates it (RSA: at least 2048 bits; EC: the point is on the curve).
  static Result<std::shared_ptr<const VerificationKey>> from_jwk(const Jwk& jwk);

  ~VerificationKey();
  VerificationKey(const VerificationKey&) = delete;
  VerificationKey& operator=(const VerificationKey&) = delete;

  const std::string& kid() const { return kid_; }
  const std::string& kty() const { return kty_; }
  const std::string& crv() const { return crv_; }
  const std::string& alg() const { return alg_; }  // the JWK's "alg"; empty when unrestricted
  int bits() const;

  // Whether a token signed with `alg` may be checked with this key (type, curve and the JWK's alg).
  Status accepts(JwsAlgorithm alg) const;

 private:
  friend Status verify_signature(const ParsedJwt& jwt, const VerificationKey& key);
  VerificationKey() = default;

  EVP_PKEY* pkey_ = nullptr;
  std::string kid_, kty_, crv_, alg_;
};

// Checks the signature of a parsed token with one key. Errors (protocol errors) say what failed —
// "alg ES256 does not fit RSA key \"k1\"", "signature does not verify with key \"k1\"" — and never hold
// the token.
Status verify_signature(const ParsedJwt& jwt, const VerificationKey& key);

}  // namespace sshrelay::daemon::identity
