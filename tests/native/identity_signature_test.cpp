#include "native/daemon/identity/jwt_signature.hpp"

#include <gtest/gtest.h>

#include "core/common/base64.hpp"
#include "core/identity/jwks.hpp"
#include "tests/core/jose_vectors.hpp"
#include "tests/native/identity_test_keys.hpp"

namespace sshrelay::daemon::identity {
namespace {

using nlohmann::json;

std::shared_ptr<const VerificationKey> key_of(const json& jwk) {
  auto set = parse_jwks(json{{"keys", json::array({jwk})}}.dump());
  EXPECT_TRUE(set.ok());
  EXPECT_EQ(set->keys.size(), 1U) << (set->skipped.empty() ? "" : set->skipped.front().reason);
  if (set->keys.empty()) return nullptr;
  auto key = VerificationKey::from_jwk(set->keys.front());
  EXPECT_TRUE(key.ok()) << key.error().message;
  return key.ok() ? *key : nullptr;
}

ParsedJwt parsed(std::string_view token) {
  auto jwt = parse_jwt(token);
  EXPECT_TRUE(jwt.ok()) << jwt.error().message;
  return jwt.ok() ? std::move(jwt).value() : ParsedJwt{};
}

std::string refusal(const ParsedJwt& jwt, const VerificationKey& key) {
  auto status = verify_signature(jwt, key);
  EXPECT_FALSE(status.ok());
  return status.ok() ? std::string() : status.error().message;
}

bool has_text(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

json rfc_rsa_jwk() {
  return {{"kty", "RSA"}, {"n", std::string(vectors::kRfc7515A2N)}, {"e", std::string(vectors::kRfc7515A2E)}};
}
json rfc_ec_jwk() {
  return {{"kty", "EC"}, {"crv", "P-256"}, {"x", std::string(vectors::kRfc7515A3X)}, {"y", std::string(vectors::kRfc7515A3Y)}};
}

TEST(JwtSignature, VerifiesTheRfc7515Examples) {
  auto rsa = key_of(rfc_rsa_jwk());
  ASSERT_TRUE(rsa);
  EXPECT_EQ(rsa->bits(), 2048);
  auto status = verify_signature(parsed(vectors::kRfc7515A2Token), *rsa);
  EXPECT_TRUE(status.ok()) << status.error().message;
  auto ec = key_of(rfc_ec_jwk());
  ASSERT_TRUE(ec);
  status = verify_signature(parsed(vectors::kRfc7515A3Token), *ec);
  EXPECT_TRUE(status.ok()) << status.error().message;
}

TEST(JwtSignature, RefusesTamperedTokens) {
  auto rsa = key_of(rfc_rsa_jwk());
  ASSERT_TRUE(rsa);
  auto jwt = parsed(vectors::kRfc7515A2Token);
  auto payload_changed = jwt;
  payload_changed.signing_input.back() = payload_changed.signing_input.back() == 'Q' ? 'R' : 'Q';
  EXPECT_TRUE(has_text(refusal(payload_changed, *rsa), "does not verify"));
  auto signature_changed = jwt;
  signature_changed.signature[10] ^= 0x01;
  EXPECT_TRUE(has_text(refusal(signature_changed, *rsa), "does not verify"));
  auto truncated = jwt;
  truncated.signature.pop_back();
  EXPECT_TRUE(has_text(refusal(truncated, *rsa), "not the key's 256"));

  auto ec = key_of(rfc_ec_jwk());
  ASSERT_TRUE(ec);
  auto ec_jwt = parsed(vectors::kRfc7515A3Token);
  auto ec_changed = ec_jwt;
  ec_changed.signature[40] ^= 0x80;
  EXPECT_TRUE(has_text(refusal(ec_changed, *ec), "does not verify"));
  auto ec_short = ec_jwt;
  ec_short.signature.resize(63);
  EXPECT_TRUE(has_text(refusal(ec_short, *ec), "not 64 (raw R||S)"));
}

TEST(JwtSignature, VerifiesEveryAlgorithmWithFreshKeys) {
  struct Case {
    const char* alg;
    testkeys::Pkey key;
  };
  Case cases[] = {{"RS256", testkeys::rsa_key()}, {"RS384", testkeys::rsa_key()}, {"RS512", testkeys::rsa_key(3072)},
                  {"ES256", testkeys::ec_key("P-256")}, {"ES384", testkeys::ec_key("P-384")}};
  for (auto& c : cases) {
    auto key = key_of(testkeys::public_jwk(c.key.get(), "k1", c.alg));
    ASSERT_TRUE(key) << c.alg;
    const json claims = {{"sub", "alice"}, {"exp", 2000000000}};
    auto jwt = parsed(testkeys::make_token(c.key.get(), {{"alg", c.alg}, {"kid", "k1"}}, claims));
    auto status = verify_signature(jwt, *key);
    EXPECT_TRUE(status.ok()) << c.alg << ": " << status.error().message;
    // Another key of the same kind does not verify it.
    auto other = c.alg[0] == 'R' ? testkeys::rsa_key(static_cast<unsigned>(EVP_PKEY_get_bits(c.key.get())))
                                 : testkeys::ec_key(std::string(c.alg) == "ES384" ? "P-384" : "P-256");
    auto other_key = key_of(testkeys::public_jwk(other.get(), "k1", c.alg));
    ASSERT_TRUE(other_key);
    EXPECT_TRUE(has_text(refusal(jwt, *other_key), "does not verify")) << c.alg;
  }
}

TEST(JwtSignature, RefusesAlgorithmsThatDoNotFitTheKey) {
  auto rsa_pkey = testkeys::rsa_key();
  auto ec_pkey = testkeys::ec_key("P-256");
  auto ec384_pkey = testkeys::ec_key("P-384");
  auto rsa = key_of(testkeys::public_jwk(rsa_pkey.get(), "rsa"));
  auto ec = key_of(testkeys::public_jwk(ec_pkey.get(), "ec"));
  auto ec384 = key_of(testkeys::public_jwk(ec384_pkey.get(), "ec384"));
  const json claims = {{"sub", "alice"}};
  // An ES256 token checked with an RSA key, and the reverse.
  auto es256 = parsed(testkeys::make_token(ec_pkey.get(), {{"alg", "ES256"}, {"kid", "rsa"}}, claims));
  EXPECT_TRUE(has_text(refusal(es256, *rsa), "alg ES256 does not fit RSA key \"rsa\""));
  auto rs256 = parsed(testkeys::make_token(rsa_pkey.get(), {{"alg", "RS256"}, {"kid", "ec"}}, claims));
  EXPECT_TRUE(has_text(refusal(rs256, *ec), "alg RS256 does not fit EC key \"ec\""));
  // Curve mismatch.
  EXPECT_TRUE(has_text(refusal(es256, *ec384), "alg ES256 does not fit P-384 key"));
  auto es384 = parsed(testkeys::make_token(ec384_pkey.get(), {{"alg", "ES384"}}, claims));
  EXPECT_TRUE(has_text(refusal(es384, *ec), "alg ES384 does not fit P-256 key"));
  // The JWK pins RS256; an RS512 token signed by the same key is refused.
  auto pinned = key_of(testkeys::public_jwk(rsa_pkey.get(), "pinned", "RS256"));
  auto rs512 = parsed(testkeys::make_token(rsa_pkey.get(), {{"alg", "RS512"}}, claims));
  EXPECT_TRUE(has_text(refusal(rs512, *pinned), "is not the alg RS256 of key \"pinned\""));
  EXPECT_TRUE(verify_signature(rs512, *rsa).ok());
}

TEST(JwtSignature, RefusesNoneAndHmacEvenWhenHandedAParsedToken) {
  auto rsa = key_of(rfc_rsa_jwk());
  auto jwt = parsed(vectors::kRfc7515A2Token);
  for (const char* alg : {"none", "HS256", "HS512"}) {
    auto forged = jwt;
    forged.alg_name = alg;
    EXPECT_TRUE(has_text(refusal(forged, *rsa), "not accepted")) << alg;
  }
  auto mismatched = jwt;
  mismatched.alg = JwsAlgorithm::rs512;  // header says RS256
  EXPECT_FALSE(verify_signature(mismatched, *rsa).ok());
  auto empty = jwt;
  empty.signature.clear();
  EXPECT_TRUE(has_text(refusal(empty, *rsa), "empty signature"));
}

TEST(JwtSignature, RefusesKeysOpenSslRejects) {
  Jwk off_curve;
  off_curve.kid = "bad";
  off_curve.kty = "EC";
  off_curve.crv = "P-256";
  off_curve.x = std::vector<std::uint8_t>(32, 0x01);
  off_curve.y = std::vector<std::uint8_t>(32, 0x02);
  EXPECT_FALSE(VerificationKey::from_jwk(off_curve).ok());

  Jwk small;
  small.kty = "RSA";
  auto small_key = testkeys::rsa_key(1024);
  small.n = testkeys::bn_param(small_key.get(), OSSL_PKEY_PARAM_RSA_N);
  small.e = testkeys::bn_param(small_key.get(), OSSL_PKEY_PARAM_RSA_E);
  auto refused = VerificationKey::from_jwk(small);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(has_text(refused.error().message, "2048")) << refused.error().message;

  Jwk oct;
  oct.kty = "oct";
  EXPECT_FALSE(VerificationKey::from_jwk(oct).ok());

  Jwk wrong_alg;
  wrong_alg.kty = "EC";
  wrong_alg.crv = "P-256";
  auto ec_pkey = testkeys::ec_key();
  wrong_alg.x = testkeys::bn_param(ec_pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32);
  wrong_alg.y = testkeys::bn_param(ec_pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32);
  EXPECT_TRUE(VerificationKey::from_jwk(wrong_alg).ok());
  wrong_alg.alg = "HS256";
  EXPECT_FALSE(VerificationKey::from_jwk(wrong_alg).ok());
  wrong_alg.alg = "RS256";
  EXPECT_FALSE(VerificationKey::from_jwk(wrong_alg).ok());
}

}  // namespace
}  // namespace sshrelay::daemon::identity
