#pragma once
// Test keys and tokens for the identity unit tests, made with OpenSSL (generation, signing, JWK export)
// so the code under test is checked against an implementation it does not share. The integration tests
// use npm `jose` instead (tests/fixtures/token_authority).
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/common/base64.hpp"

namespace sshrelay::testkeys {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

inline Pkey rsa_key(unsigned bits = 2048) {
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
  if (!key) throw std::runtime_error("RSA keygen failed");
  return key;
}

// curve: "P-256" or "P-384".
inline Pkey ec_key(const char* curve = "P-256") {
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
  if (!key) throw std::runtime_error("EC keygen failed");
  return key;
}

inline std::vector<std::uint8_t> bn_param(const EVP_PKEY* key, const char* name, int pad = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) throw std::runtime_error(std::string("no key parameter ") + name);
  std::vector<std::uint8_t> out(static_cast<std::size_t>(pad ? pad : BN_num_bytes(bn)));
  BN_bn2binpad(bn, out.data(), static_cast<int>(out.size()));
  BN_free(bn);
  return out;
}

// The public JWK of a key. alg empty: no "alg" member.
inline nlohmann::json public_jwk(const EVP_PKEY* key, const std::string& kid, const std::string& alg = "") {
  nlohmann::json jwk;
  if (EVP_PKEY_is_a(key, "RSA")) {
    jwk = {{"kty", "RSA"}, {"n", base64url_encode(bn_param(key, OSSL_PKEY_PARAM_RSA_N))},
           {"e", base64url_encode(bn_param(key, OSSL_PKEY_PARAM_RSA_E))}};
  } else {
    const int size = EVP_PKEY_get_bits(key) == 384 ? 48 : 32;
    jwk = {{"kty", "EC"}, {"crv", size == 48 ? "P-384" : "P-256"},
           {"x", base64url_encode(bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, size))},
           {"y", base64url_encode(bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, size))}};
  }
  if (!kid.empty()) jwk["kid"] = kid;
  if (!alg.empty()) jwk["alg"] = alg;
  jwk["use"] = "sig";
  return jwk;
}

inline std::string jwks_of(const std::vector<nlohmann::json>& keys) {
  return nlohmann::json{{"keys", keys}}.dump();
}

// Signs `input` as `alg` (RS256/384/512, ES256/384) and returns the JWS signature bytes (raw R||S for EC).
inline std::vector<std::uint8_t> sign(EVP_PKEY* key, const std::string& alg, const std::string& input) {
  const std::string bits = alg.substr(2);
  const std::string digest = "SHA" + bits;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t length = 0;
  std::vector<std::uint8_t> der;
  if (EVP_DigestSignInit_ex(ctx, nullptr, digest.c_str(), nullptr, nullptr, key, nullptr) != 1 ||
      EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    EVP_MD_CTX_free(ctx);
    throw std::runtime_error("sign init failed");
  }
  der.resize(length);
  if (EVP_DigestSign(ctx, der.data(), &length, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    EVP_MD_CTX_free(ctx);
    throw std::runtime_error("sign failed");
  }
  EVP_MD_CTX_free(ctx);
  der.resize(length);
  if (alg[0] == 'R') return der;
  const int half = alg == "ES384" ? 48 : 32;
  const unsigned char* p = der.data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  std::vector<std::uint8_t> raw(static_cast<std::size_t>(2 * half));
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw.data(), half);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw.data() + half, half);
  ECDSA_SIG_free(sig);
  return raw;
}

// A compact JWS over `header` and `claims` (JSON objects), signed with `key` as header["alg"].
inline std::string make_token(EVP_PKEY* key, const nlohmann::json& header, const nlohmann::json& claims) {
  const std::string input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
  return input + "." + base64url_encode(sign(key, header["alg"].get<std::string>(), input));
}

}  // namespace sshrelay::testkeys
