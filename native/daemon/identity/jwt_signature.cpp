#include "native/daemon/identity/jwt_signature.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <vector>

#include "core/common/quote.hpp"

namespace sshrelay::daemon::identity {
namespace {

struct Free {
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, Free>;

Owned<BIGNUM> bignum(const std::vector<std::uint8_t>& bytes) {
  return Owned<BIGNUM>(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
}

// OpenSSL's error queue is per thread: drain it so a failure here does not surface in an unrelated
// TLS call later on the same thread.
void clear_openssl_errors() { ERR_clear_error(); }

std::string key_name(const VerificationKey& key) {
  return key.kid().empty() ? std::string("(no kid)") : quote(key.kid());
}

const char* digest_of(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::rs256:
    case JwsAlgorithm::es256: return "SHA256";
    case JwsAlgorithm::rs384:
    case JwsAlgorithm::es384: return "SHA384";
    case JwsAlgorithm::rs512: return "SHA512";
  }
  return nullptr;
}

Result<Owned<EVP_PKEY>> build(const char* type, OSSL_PARAM_BLD* builder) {
  Owned<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(builder));
  Owned<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    clear_openssl_errors();
    return protocol_error(std::string("OpenSSL refused the ") + type + " key material");
  }
  Owned<EVP_PKEY> pkey(raw);
  Owned<EVP_PKEY_CTX> check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    clear_openssl_errors();
    return protocol_error(std::string("the ") + type + " public key does not pass OpenSSL's check");
  }
  return pkey;
}

Result<Owned<EVP_PKEY>> rsa_key(const Jwk& jwk) {
  Owned<OSSL_PARAM_BLD> builder(OSSL_PARAM_BLD_new());
  auto n = bignum(jwk.n);
  auto e = bignum(jwk.e);
  if (!builder || !n || !e || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    clear_openssl_errors();
    return protocol_error("cannot hold the RSA key material");
  }
  return build("RSA", builder.get());
}

Result<Owned<EVP_PKEY>> ec_key(const Jwk& jwk) {
  const char* group = nullptr;
  std::size_t size = 0;
  if (jwk.crv == "P-256") {
    group = "prime256v1";
    size = 32;
  } else if (jwk.crv == "P-384") {
    group = "secp384r1";
    size = 48;
  } else {
    return protocol_error("EC curve " + quote(jwk.crv) + " is not supported");
  }
  if (jwk.x.size() != size || jwk.y.size() != size) return protocol_error("EC coordinates have the wrong size");
  std::vector<std::uint8_t> point;  // SEC 1 uncompressed: 0x04 || X || Y
  point.reserve(1 + 2 * size);
  point.push_back(0x04);
  point.insert(point.end(), jwk.x.begin(), jwk.x.end());
  point.insert(point.end(), jwk.y.begin(), jwk.y.end());
  Owned<OSSL_PARAM_BLD> builder(OSSL_PARAM_BLD_new());
  if (!builder || OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    clear_openssl_errors();
    return protocol_error("cannot hold the EC key material");
  }
  return build("EC", builder.get());
}

// Raw R||S (each `half` bytes) to the DER ECDSA-Sig-Value OpenSSL verifies.
Result<std::vector<std::uint8_t>> ecdsa_der(const std::vector<std::uint8_t>& raw, std::size_t half) {
  if (raw.size() != 2 * half) {
    return protocol_error("ECDSA signature is " + std::to_string(raw.size()) + " bytes, not " + std::to_string(2 * half) +
                          " (raw R||S)");
  }
  Owned<ECDSA_SIG> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw.data(), static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + half, static_cast<int>(half), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    clear_openssl_errors();
    return protocol_error("cannot hold the ECDSA signature");
  }
  const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (length <= 0) {
    clear_openssl_errors();
    return protocol_error("cannot encode the ECDSA signature");
  }
  std::vector<std::uint8_t> der(static_cast<std::size_t>(length));
  unsigned char* out = der.data();
  i2d_ECDSA_SIG(sig.get(), &out);
  return der;
}

}  // namespace

VerificationKey::~VerificationKey() { EVP_PKEY_free(pkey_); }

Result<std::shared_ptr<const VerificationKey>> VerificationKey::from_jwk(const Jwk& jwk) {
  Result<Owned<EVP_PKEY>> pkey = protocol_error("kty " + quote(jwk.kty) + " is not supported");
  if (jwk.kty == "RSA") pkey = rsa_key(jwk);
  if (jwk.kty == "EC") pkey = ec_key(jwk);
  if (!pkey) return pkey.error();
  if (jwk.kty == "RSA" && EVP_PKEY_get_bits(pkey->get()) < 2048) return protocol_error("RSA key under 2048 bits");
  if (!jwk.alg.empty()) {
    auto alg = parse_jws_algorithm(jwk.alg);
    if (!alg) return alg.error();
    if (key_type_of(*alg) != jwk.kty) return protocol_error("alg " + jwk.alg + " does not fit kty " + jwk.kty);
  }
  std::shared_ptr<VerificationKey> key(new VerificationKey());
  key->pkey_ = pkey->release();
  key->kid_ = jwk.kid;
  key->kty_ = jwk.kty;
  key->crv_ = jwk.crv;
  key->alg_ = jwk.alg;
  return std::shared_ptr<const VerificationKey>(std::move(key));
}

int VerificationKey::bits() const { return EVP_PKEY_get_bits(pkey_); }

Status VerificationKey::accepts(JwsAlgorithm alg) const {
  if (key_type_of(alg) != kty_) {
    return protocol_error("alg " + std::string(to_string(alg)) + " does not fit " + kty_ + " key " + key_name(*this));
  }
  if (alg == JwsAlgorithm::es256 && crv_ != "P-256") {
    return protocol_error("alg ES256 does not fit " + crv_ + " key " + key_name(*this));
  }
  if (alg == JwsAlgorithm::es384 && crv_ != "P-384") {
    return protocol_error("alg ES384 does not fit " + crv_ + " key " + key_name(*this));
  }
  if (!alg_.empty() && alg_ != to_string(alg)) {
    return protocol_error("alg " + std::string(to_string(alg)) + " is not the alg " + alg_ + " of key " + key_name(*this));
  }
  return Ok{};
}

Status verify_signature(const ParsedJwt& jwt, const VerificationKey& key) {
  // Defence in depth: the parser already refuses these, but this function must be safe on its own.
  auto alg = parse_jws_algorithm(jwt.alg_name);
  if (!alg) return alg.error();
  if (*alg != jwt.alg) return protocol_error("JWT alg does not match its header");
  if (auto fits = key.accepts(jwt.alg); !fits) return fits;
  if (jwt.signature.empty()) return protocol_error("JWT has an empty signature");

  std::vector<std::uint8_t> der;
  const std::vector<std::uint8_t>* signature = &jwt.signature;
  if (jwt.alg == JwsAlgorithm::es256 || jwt.alg == JwsAlgorithm::es384) {
    auto converted = ecdsa_der(jwt.signature, jwt.alg == JwsAlgorithm::es256 ? 32 : 48);
    if (!converted) return converted.error();
    der = std::move(*converted);
    signature = &der;
  } else if (jwt.signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(key.pkey_))) {
    return protocol_error("RSA signature is " + std::to_string(jwt.signature.size()) + " bytes, not the key's " +
                          std::to_string(EVP_PKEY_get_size(key.pkey_)));
  }

  Owned<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), nullptr, digest_of(jwt.alg), nullptr, nullptr, key.pkey_, nullptr) != 1) {
    clear_openssl_errors();
    return local_error("OpenSSL could not start verifying " + std::string(to_string(jwt.alg)));
  }
  const int verified = EVP_DigestVerify(ctx.get(), signature->data(), signature->size(),
                                        reinterpret_cast<const unsigned char*>(jwt.signing_input.data()),
                                        jwt.signing_input.size());
  clear_openssl_errors();
  if (verified != 1) return protocol_error("JWT signature does not verify with key " + key_name(key));
  return Ok{};
}

}  // namespace sshrelay::daemon::identity
