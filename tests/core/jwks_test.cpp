#include "core/identity/jwks.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/common/base64.hpp"
#include "tests/core/jose_vectors.hpp"
#include "tests/core/test_text.hpp"

namespace sshrelay {
namespace {

using json = nlohmann::json;
using Millis = std::chrono::milliseconds;

json rsa_key(const std::string& kid = "rsa-1") {
  return {{"kty", "RSA"}, {"kid", kid}, {"alg", "RS256"}, {"use", "sig"},
          {"n", std::string(vectors::kRfc7515A2N)}, {"e", std::string(vectors::kRfc7515A2E)}};
}

json ec_key(const std::string& kid = "ec-1") {
  return {{"kty", "EC"}, {"kid", kid}, {"crv", "P-256"}, {"alg", "ES256"},
          {"x", std::string(vectors::kRfc7515A3X)}, {"y", std::string(vectors::kRfc7515A3Y)}};
}

JwkSet parse_ok(const json& document) {
  auto set = parse_jwks(document.dump());
  EXPECT_TRUE(set.ok()) << set.error().message;
  return set.ok() ? std::move(set).value() : JwkSet{};
}

// The reason the single key of a set was skipped.
std::string skip_reason(const json& key) {
  const auto set = parse_ok({{"keys", json::array({key})}});
  EXPECT_TRUE(set.keys.empty());
  EXPECT_EQ(set.skipped.size(), 1U);
  return set.skipped.empty() ? std::string() : set.skipped.front().reason;
}

using testing::contains;

TEST(Jwks, ParsesRsaAndEcKeys) {
  const auto set = parse_ok({{"keys", json::array({rsa_key(), ec_key()})}});
  ASSERT_EQ(set.keys.size(), 2U);
  EXPECT_TRUE(set.skipped.empty());
  const auto& rsa = set.keys[0];
  EXPECT_EQ(rsa.kid, "rsa-1");
  EXPECT_EQ(rsa.kty, "RSA");
  EXPECT_EQ(rsa.alg, "RS256");
  EXPECT_EQ(rsa.use, "sig");
  EXPECT_EQ(rsa.n.size(), 256U);
  EXPECT_EQ(rsa.e, (std::vector<std::uint8_t>{0x01, 0x00, 0x01}));
  const auto& ec = set.keys[1];
  EXPECT_EQ(ec.kty, "EC");
  EXPECT_EQ(ec.crv, "P-256");
  EXPECT_EQ(ec.x.size(), 32U);
  EXPECT_EQ(ec.y.size(), 32U);
  EXPECT_EQ(base64url_encode(ec.x), vectors::kRfc7515A3X);
}

TEST(Jwks, IgnoresOtherMembersAsCloudflarePublishesThem) {
  json document = {{"keys", json::array({rsa_key("a"), rsa_key("b")})},
                   {"public_cert", {{"kid", "a"}, {"cert", "-----BEGIN CERTIFICATE-----..."}}},
                   {"public_certs", json::array({{{"kid", "a"}, {"cert", "..."}}})}};
  EXPECT_EQ(parse_ok(document).keys.size(), 2U);
}

TEST(Jwks, KeysWithoutAlgOrUseOrKidAreUsable) {
  json key = rsa_key();
  key.erase("alg");
  key.erase("use");
  key.erase("kid");
  const auto set = parse_ok({{"keys", json::array({key})}});
  ASSERT_EQ(set.keys.size(), 1U);
  EXPECT_EQ(set.keys[0].kid, "");
  EXPECT_EQ(set.keys[0].alg, "");
}

TEST(Jwks, ToleratesPaddedKeyMaterial) {
  json key = rsa_key();
  key["n"] = std::string(vectors::kRfc7515A2N) + "==";
  const auto set = parse_ok({{"keys", json::array({key})}});
  ASSERT_EQ(set.keys.size(), 1U);
  EXPECT_EQ(set.keys[0].n.size(), 256U);
}

TEST(Jwks, SkipsUnusableKeysWithAReason) {
  EXPECT_TRUE(contains(skip_reason(json::array({1})), "not a JSON object"));
  EXPECT_TRUE(contains(skip_reason({{"kty", "oct"}, {"k", "c2VjcmV0"}, {"kid", "hmac"}}), "kty \"oct\""));
  EXPECT_TRUE(contains(skip_reason({{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "AA"}}), "kty \"OKP\""));
  EXPECT_TRUE(contains(skip_reason({{"n", "AA"}}), "no \"kty\""));
}

TEST(Jwks, SkipsKeysForOtherUsesOrAlgorithms) {
  auto with = [](json key, const json& patch) {
    key.merge_patch(patch);
    return key;
  };
  EXPECT_TRUE(contains(skip_reason(with(rsa_key(), {{"use", "enc"}})), "\"use\" is not \"sig\""));
  EXPECT_TRUE(contains(skip_reason(with(rsa_key(), {{"key_ops", json::array({"encrypt"})}})), "key_ops"));
  EXPECT_EQ(parse_ok({{"keys", json::array({with(rsa_key(), {{"key_ops", json::array({"verify"})}})})}}).keys.size(), 1U);
  EXPECT_TRUE(contains(skip_reason(with(rsa_key(), {{"alg", "HS256"}})), "not accepted"));
  EXPECT_TRUE(contains(skip_reason(with(rsa_key(), {{"alg", "none"}})), "not accepted"));
  EXPECT_TRUE(contains(skip_reason(with(rsa_key(), {{"alg", "ES256"}})), "does not fit kty RSA"));
  EXPECT_TRUE(contains(skip_reason(with(ec_key(), {{"alg", "RS256"}})), "does not fit kty EC"));
  EXPECT_TRUE(contains(skip_reason(with(ec_key(), {{"alg", "ES384"}})), "does not fit curve P-256"));
}

TEST(Jwks, SkipsWeakOrMalformedRsaKeys) {
  auto with = [](json key, const json& patch) {
    key.merge_patch(patch);
    return key;
  };
  std::vector<std::uint8_t> small(128, 0xff);  // 1024 bits
  EXPECT_TRUE(contains(skip_reason(with(rsa_key(), {{"n", base64url_encode(small)}})), "1024 bits is under 2048"));
  // Leading zero bytes do not count.
  std::vector<std::uint8_t> padded(257, 0x00);
  padded[1] = 0x01;
  EXPECT_TRUE(contains(skip_reason(with(rsa_key(), {{"n", base64url_encode(padded)}})), "2041 bits"));
  EXPECT_TRUE(contains(skip_reason(with(rsa_key(), {{"e", "AQAA"}})), "exponent"));  // even
  EXPECT_TRUE(contains(skip_reason(with(rsa_key(), {{"e", "AQ"}})), "exponent"));    // 1
  EXPECT_TRUE(contains(skip_reason(with(rsa_key(), {{"n", nullptr}})), "no \"n\""));
  EXPECT_TRUE(contains(skip_reason(with(rsa_key(), {{"n", "not base64!"}})), "\"n\" is not base64url"));
  EXPECT_TRUE(contains(skip_reason(with(rsa_key(), {{"e", 65537}})), "\"e\" is not a string"));
}

TEST(Jwks, SkipsMalformedEcKeys) {
  auto with = [](json key, const json& patch) {
    key.merge_patch(patch);
    return key;
  };
  EXPECT_TRUE(contains(skip_reason(with(ec_key(), {{"crv", "P-521"}, {"alg", nullptr}})), "P-521"));
  EXPECT_TRUE(contains(skip_reason(with(ec_key(), {{"crv", "secp256k1"}, {"alg", nullptr}})), "not supported"));
  EXPECT_TRUE(contains(skip_reason(with(ec_key(), {{"crv", nullptr}})), "no \"crv\""));
  EXPECT_TRUE(contains(skip_reason(with(ec_key(), {{"y", nullptr}})), "no \"y\""));
  EXPECT_TRUE(contains(skip_reason(with(ec_key(), {{"x", base64url_encode(std::string(31, 'a'))}})), "32 bytes"));
  EXPECT_TRUE(contains(skip_reason(with(ec_key(), {{"d", "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}})), "private"));
}

TEST(Jwks, KeepsTheFirstOfRepeatedKids) {
  json second = ec_key("same");
  const auto set = parse_ok({{"keys", json::array({rsa_key("same"), second, ec_key("other")})}});
  ASSERT_EQ(set.keys.size(), 2U);
  EXPECT_EQ(set.keys[0].kty, "RSA");
  EXPECT_EQ(set.keys[1].kid, "other");
  ASSERT_EQ(set.skipped.size(), 1U);
  EXPECT_EQ(set.skipped[0].index, 1U);
  EXPECT_EQ(set.skipped[0].kid, "same");
}

TEST(Jwks, RefusesDocumentsThatAreNotKeySets) {
  EXPECT_FALSE(parse_jwks("").ok());
  EXPECT_FALSE(parse_jwks("not json").ok());
  EXPECT_FALSE(parse_jwks("[]").ok());
  EXPECT_FALSE(parse_jwks("{}").ok());
  EXPECT_FALSE(parse_jwks(R"({"keys":{}})").ok());
  EXPECT_FALSE(parse_jwks(R"({"keys":[],"keys":[]})").ok());
  EXPECT_TRUE(parse_jwks(R"({"keys":[]})").ok());
  const std::string huge = R"({"keys":[],"pad":")" + std::string(kMaxJwksBytes, 'x') + "\"}";
  auto too_big = parse_jwks(huge);
  ASSERT_FALSE(too_big.ok());
  EXPECT_TRUE(contains(too_big.error().message, "limit"));
}

TEST(OidcDiscovery, FindsTheJwksUri) {
  const json document = {{"issuer", "https://auth.example.com"},
                         {"jwks_uri", "https://auth.example.com/.well-known/jwks.json"},
                         {"authorization_endpoint", "https://auth.example.com/authorize"}};
  auto uri = parse_oidc_discovery(document.dump(), "https://auth.example.com");
  ASSERT_TRUE(uri.ok()) << uri.error().message;
  EXPECT_EQ(*uri, "https://auth.example.com/.well-known/jwks.json");
}

TEST(OidcDiscovery, RefusesAnotherIssuerOrAPlainHttpJwksUri) {
  const json other = {{"issuer", "https://evil.example.com"}, {"jwks_uri", "https://evil.example.com/jwks"}};
  auto wrong = parse_oidc_discovery(other.dump(), "https://auth.example.com");
  ASSERT_FALSE(wrong.ok());
  EXPECT_TRUE(contains(wrong.error().message, "evil.example.com")) << wrong.error().message;
  const json http = {{"issuer", "https://auth.example.com"}, {"jwks_uri", "http://auth.example.com/jwks"}};
  EXPECT_FALSE(parse_oidc_discovery(http.dump(), "https://auth.example.com").ok());
  EXPECT_FALSE(parse_oidc_discovery(R"({"issuer":"https://auth.example.com"})", "https://auth.example.com").ok());
  EXPECT_FALSE(parse_oidc_discovery("nope", "https://auth.example.com").ok());
}

TEST(OidcDiscovery, UrlOfAnIssuer) {
  EXPECT_EQ(oidc_discovery_url("https://auth.example.com"), "https://auth.example.com/.well-known/openid-configuration");
  EXPECT_EQ(oidc_discovery_url("https://auth.example.com/realms/x/"),
            "https://auth.example.com/realms/x/.well-known/openid-configuration");
}

JwksRefreshSchedule::Settings settings() {
  return {Millis(30'000), Millis(600'000), Millis(1'000), Millis(8'000)};
}

TEST(JwksRefreshSchedule, FirstFetchIsDueAtOnce) {
  JwksRefreshSchedule schedule(settings());
  EXPECT_EQ(schedule.next_fetch_at(), Millis(0));
  EXPECT_EQ(schedule.on_unknown_kid(Millis(5)), JwksRefreshSchedule::Demand::start_fetch);
}

TEST(JwksRefreshSchedule, SuccessSchedulesThePeriodicRefresh) {
  JwksRefreshSchedule schedule(settings());
  schedule.fetch_started(Millis(100));
  EXPECT_TRUE(schedule.in_flight());
  EXPECT_EQ(schedule.next_fetch_at(), std::nullopt);
  EXPECT_EQ(schedule.on_unknown_kid(Millis(200)), JwksRefreshSchedule::Demand::wait_for_fetch);
  schedule.fetch_succeeded(Millis(300));
  EXPECT_EQ(schedule.next_fetch_at(), Millis(600'300));
}

TEST(JwksRefreshSchedule, UnknownKidsAreRateLimited) {
  JwksRefreshSchedule schedule(settings());
  // A scheduled fetch does not count against the limit: a kid rotated in just after it is fetched at once.
  schedule.fetch_started(Millis(1'000));
  schedule.fetch_succeeded(Millis(1'100));
  EXPECT_EQ(schedule.on_unknown_kid(Millis(1'200)), JwksRefreshSchedule::Demand::start_fetch);
  schedule.fetch_started(Millis(1'200), true);
  schedule.fetch_succeeded(Millis(1'300));
  EXPECT_EQ(schedule.on_unknown_kid(Millis(31'199)), JwksRefreshSchedule::Demand::rate_limited);
  EXPECT_EQ(schedule.on_demand_allowed_at(Millis(31'199)), Millis(31'200));
  EXPECT_EQ(schedule.on_unknown_kid(Millis(31'200)), JwksRefreshSchedule::Demand::start_fetch);
  EXPECT_EQ(schedule.on_demand_allowed_at(Millis(31'200)), std::nullopt);
  schedule.fetch_started(Millis(31'200), true);
  schedule.fetch_failed(Millis(31'250));  // a failed on-demand fetch counts too
  EXPECT_EQ(schedule.on_unknown_kid(Millis(40'000)), JwksRefreshSchedule::Demand::rate_limited);
  // A scheduled retry in between does not lift the limit either.
  schedule.fetch_started(Millis(41'000));
  schedule.fetch_failed(Millis(41'050));
  EXPECT_EQ(schedule.on_unknown_kid(Millis(45'000)), JwksRefreshSchedule::Demand::rate_limited);
  EXPECT_EQ(schedule.on_unknown_kid(Millis(61'200)), JwksRefreshSchedule::Demand::start_fetch);
}

TEST(JwksRefreshSchedule, FailuresBackOffExponentiallyUpToTheCap) {
  JwksRefreshSchedule schedule(settings());
  Millis now(0);
  std::vector<Millis> delays;
  for (int i = 0; i < 6; ++i) {
    schedule.fetch_started(now);
    schedule.fetch_failed(now);
    delays.push_back(*schedule.next_fetch_at() - now);
    now = *schedule.next_fetch_at();
  }
  EXPECT_EQ(delays, (std::vector<Millis>{Millis(1'000), Millis(2'000), Millis(4'000), Millis(8'000), Millis(8'000),
                                         Millis(8'000)}));
  EXPECT_EQ(schedule.consecutive_failures(), 6U);
  schedule.fetch_started(now);
  schedule.fetch_succeeded(now);
  EXPECT_EQ(schedule.consecutive_failures(), 0U);
  EXPECT_EQ(schedule.next_fetch_at(), now + Millis(600'000));
}

TEST(JwksRefreshSchedule, ManyFailuresDoNotOverflowTheBackoff) {
  JwksRefreshSchedule schedule({Millis(1), Millis(10), Millis(1), Millis(60'000)});
  for (int i = 0; i < 200; ++i) {
    schedule.fetch_started(Millis(i));
    schedule.fetch_failed(Millis(i));
  }
  EXPECT_EQ(*schedule.next_fetch_at(), Millis(199 + 60'000));
}

}  // namespace
}  // namespace sshrelay
