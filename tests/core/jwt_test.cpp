#include "core/identity/jwt.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/common/base64.hpp"
#include "tests/core/jose_vectors.hpp"
#include "tests/core/test_text.hpp"

namespace sshrelay {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;

std::string b64(std::string_view text) { return base64url_encode(text); }

std::string token_of(std::string_view header_json, std::string_view payload_json, std::string_view signature = "sig") {
  return b64(header_json) + "." + b64(payload_json) + "." + b64(signature);
}

std::string claims_json(const nlohmann::json& extra = nlohmann::json::object()) {
  nlohmann::json claims = {{"iss", "https://team.cloudflareaccess.com"},
                           {"aud", nlohmann::json::array({"aud-tag"})},
                           {"exp", kNow + 300},
                           {"iat", kNow - 10},
                           {"nbf", kNow - 10},
                           {"email", "alice@example.com"},
                           {"sub", "user-123"}};
  for (const auto& [key, value] : extra.items()) {
    if (value.is_null()) {
      claims.erase(key);
    } else {
      claims[key] = value;
    }
  }
  return claims.dump();
}

ParsedJwt parsed(std::string_view payload_json, std::string_view header_json = R"({"alg":"RS256","kid":"k1"})") {
  auto jwt = parse_jwt(token_of(header_json, payload_json));
  EXPECT_TRUE(jwt.ok()) << jwt.error().message;
  return jwt.ok() ? std::move(jwt).value() : ParsedJwt{};
}

ClaimRules rules(std::int64_t leeway = 60) { return {{"aud-tag", "other"}, "https://team.cloudflareaccess.com", leeway}; }

// The failure message, checked to never contain a segment of the token that caused it.
std::string rejection(const std::string& token) {
  auto jwt = parse_jwt(token);
  EXPECT_FALSE(jwt.ok()) << "accepted: " << token.substr(0, 80);
  if (jwt.ok()) return {};
  EXPECT_EQ(jwt.error().kind, ErrorKind::remote_protocol);
  std::size_t start = 0;
  while (start < token.size()) {
    auto end = token.find('.', start);
    if (end == std::string::npos) end = token.size();
    const auto segment = token.substr(start, end - start);
    if (segment.size() >= 12) {
      EXPECT_EQ(jwt.error().message.find(segment.substr(0, 12)), std::string::npos)
          << "the message quotes the token: " << jwt.error().message;
    }
    start = end + 1;
  }
  return jwt.error().message;
}

using testing::contains;

TEST(Jwt, ParsesTheRfc7515RsaExample) {
  auto jwt = parse_jwt(vectors::kRfc7515A2Token);
  ASSERT_TRUE(jwt.ok()) << jwt.error().message;
  EXPECT_EQ(jwt->alg, JwsAlgorithm::rs256);
  EXPECT_EQ(jwt->alg_name, "RS256");
  EXPECT_EQ(jwt->kid, "");
  EXPECT_EQ(jwt->claims["iss"], "joe");
  EXPECT_EQ(jwt->claims["exp"], 1300819380);
  EXPECT_EQ(jwt->claims["http://example.com/is_root"], true);
  EXPECT_EQ(jwt->signing_input, "eyJhbGciOiJSUzI1NiJ9." + std::string(vectors::kRfc7515Payload));
  EXPECT_EQ(jwt->signature.size(), 256U);
}

TEST(Jwt, ParsesTheRfc7515EcExample) {
  auto jwt = parse_jwt(vectors::kRfc7515A3Token);
  ASSERT_TRUE(jwt.ok()) << jwt.error().message;
  EXPECT_EQ(jwt->alg, JwsAlgorithm::es256);
  EXPECT_EQ(jwt->signature.size(), 64U);  // raw R || S
}

TEST(Jwt, KeepsTheKidAndHeader) {
  auto jwt = parse_jwt(token_of(R"({"alg":"ES256","typ":"JWT","kid":"abc-1"})", claims_json()));
  ASSERT_TRUE(jwt.ok()) << jwt.error().message;
  EXPECT_EQ(jwt->kid, "abc-1");
  EXPECT_EQ(jwt->header["typ"], "JWT");
  EXPECT_EQ(jwt->signature, (std::vector<std::uint8_t>{'s', 'i', 'g'}));
}

TEST(Jwt, RefusesOversizedTokensBeforeDecoding) {
  const std::string big = token_of(R"({"alg":"RS256"})", claims_json({{"pad", std::string(kMaxJwtBytes, 'x')}}));
  const auto message = rejection(big);
  EXPECT_TRUE(contains(message, "limit")) << message;
  // Exactly at the limit is still parsed.
  const std::string header = b64(R"({"alg":"RS256"})");
  const auto with_pad = [&](std::size_t pad) {
    return header + "." + b64(claims_json({{"p", std::string(pad, 'y')}})) + "." + b64("sig");
  };
  std::size_t pad = (kMaxJwtBytes - with_pad(0).size()) * 3 / 4;
  while (with_pad(pad).size() > kMaxJwtBytes) --pad;
  const std::string padded = with_pad(pad);
  ASSERT_GE(padded.size(), kMaxJwtBytes - 3);
  ASSERT_LE(padded.size(), kMaxJwtBytes);
  EXPECT_TRUE(parse_jwt(padded).ok());
}

TEST(Jwt, RefusesAnythingButThreeSegments) {
  const std::string h = b64(R"({"alg":"RS256"})");
  const std::string p = b64(claims_json());
  EXPECT_TRUE(contains(rejection(""), "empty"));
  EXPECT_TRUE(contains(rejection(h), "found 1"));
  EXPECT_TRUE(contains(rejection(h + "." + p), "found 2"));
  EXPECT_TRUE(contains(rejection(h + "." + p + ".c2ln.c2ln"), "found 4"));
  EXPECT_TRUE(contains(rejection(".."), "header segment is empty"));
  EXPECT_TRUE(contains(rejection(h + ".." + b64("sig")), "payload segment is empty"));
}

TEST(Jwt, RefusesSegmentsThatAreNotStrictBase64url) {
  const std::string p = b64(claims_json());
  EXPECT_TRUE(contains(rejection(b64(R"({"alg":"RS256"})") + "=." + p + ".c2ln"), "header segment is not base64url"));
  EXPECT_TRUE(contains(rejection("eyJhbGciOiJSUzI1NiJ9." + p + "+." + "c2ln"), "payload segment is not base64url"));
  EXPECT_TRUE(contains(rejection("eyJhbGciOiJSUzI1NiJ9." + p + ".c2ln/"), "signature segment is not base64url"));
  EXPECT_TRUE(contains(rejection("eyJhbGciOiJSUzI1NiJ9 ." + p + ".c2ln"), "header segment is not base64url"));
}

TEST(Jwt, RefusesHeadersAndPayloadsThatAreNotJsonObjects) {
  const std::string p = b64(claims_json());
  EXPECT_TRUE(contains(rejection(b64("not json") + "." + p + ".c2ln"), "header is not valid JSON"));
  EXPECT_TRUE(contains(rejection(b64(R"(["RS256"])") + "." + p + ".c2ln"), "header is not a JSON object"));
  EXPECT_TRUE(contains(rejection(b64(R"({"alg":"RS256"} trailing)") + "." + p + ".c2ln"), "header is not valid JSON"));
  EXPECT_TRUE(contains(rejection(token_of(R"({"alg":"RS256"})", "42")), "payload is not a JSON object"));
  EXPECT_TRUE(contains(rejection(token_of(R"({"alg":"RS256"})", "{\"sub\":")), "payload is not valid JSON"));
  // Invalid UTF-8 inside a JSON string.
  EXPECT_TRUE(contains(rejection(token_of(R"({"alg":"RS256"})", "{\"sub\":\"\xff\"}")), "payload is not valid JSON"));
}

TEST(Jwt, RefusesDuplicateMembersAnywhere) {
  // Two "alg" members: a parser keeping the first and one keeping the last would disagree.
  EXPECT_TRUE(contains(rejection(token_of(R"({"alg":"RS256","alg":"none"})", claims_json())), "duplicate"));
  EXPECT_TRUE(contains(rejection(token_of(R"({"alg":"RS256"})", R"({"sub":"a","sub":"b"})")), "duplicate"));
  EXPECT_TRUE(contains(rejection(token_of(R"({"alg":"RS256"})", R"({"x":{"y":1,"y":2}})")), "duplicate"));
  // The same name in sibling objects is fine.
  EXPECT_TRUE(parse_jwt(token_of(R"({"alg":"RS256"})", R"({"a":{"y":1},"b":{"y":2},"c":[{"y":3},{"y":4}]})")).ok());
}

TEST(Jwt, RefusesDeepNesting) {
  std::string deep = "{\"a\":";
  for (int i = 0; i < 40; ++i) deep += "[";
  for (int i = 0; i < 40; ++i) deep += "]";
  deep += "}";
  EXPECT_TRUE(contains(rejection(token_of(R"({"alg":"RS256"})", deep)), "payload is not valid JSON"));
}

TEST(Jwt, RefusesAlgNoneInAnySpelling) {
  for (const char* alg : {"none", "None", "NONE", "nOnE"}) {
    const std::string header = std::string(R"({"alg":")") + alg + "\"}";
    // The classic attack token has an empty signature; one with a signature is refused the same way.
    const std::string unsigned_token = b64(header) + "." + b64(claims_json()) + ".";
    EXPECT_TRUE(contains(rejection(unsigned_token), "alg \"none\"")) << alg;
    EXPECT_TRUE(contains(rejection(token_of(header, claims_json())), "alg \"none\"")) << alg;
  }
}

TEST(Jwt, RefusesHmacAndUnsupportedAlgorithms) {
  for (const char* alg : {"HS256", "HS384", "HS512", "hs256"}) {
    const auto message = rejection(token_of(std::string(R"({"alg":")") + alg + "\"}", claims_json()));
    EXPECT_TRUE(contains(message, "HMAC")) << message;
  }
  for (const char* alg : {"PS256", "ES512", "EdDSA", "RSA-OAEP", "", "rs256"}) {
    const auto message = rejection(token_of(std::string(R"({"alg":")") + alg + "\"}", claims_json()));
    EXPECT_TRUE(contains(message, "not accepted")) << message;
  }
  EXPECT_TRUE(contains(rejection(token_of(R"({"typ":"JWT"})", claims_json())), "no \"alg\""));
  EXPECT_TRUE(contains(rejection(token_of(R"({"alg":256})", claims_json())), "\"alg\" is not a string"));
}

TEST(Jwt, RefusesBadKidAndUnderstoodNothingExtensions) {
  EXPECT_TRUE(contains(rejection(token_of(R"({"alg":"RS256","kid":7})", claims_json())), "\"kid\" is not a string"));
  EXPECT_TRUE(contains(rejection(token_of(R"({"alg":"RS256","crit":["exp"],"exp":1})", claims_json())), "crit"));
  EXPECT_TRUE(contains(rejection(token_of(R"({"alg":"RS256","b64":false})", claims_json())), "b64"));
}

TEST(Jwt, RefusesAnEmptySignature) {
  const std::string token = b64(R"({"alg":"RS256"})") + "." + b64(claims_json()) + ".";
  EXPECT_TRUE(contains(rejection(token), "empty signature"));
}

TEST(Jwt, IgnoresKeyPointingHeaders) {
  auto jwt = parse_jwt(token_of(R"({"alg":"RS256","jku":"https://evil.example/jwks","jwk":{"kty":"RSA"}})", claims_json()));
  EXPECT_TRUE(jwt.ok());
}

TEST(Jwt, AlgorithmNamesRoundTrip) {
  for (auto alg : {JwsAlgorithm::rs256, JwsAlgorithm::rs384, JwsAlgorithm::rs512, JwsAlgorithm::es256, JwsAlgorithm::es384}) {
    auto parsed_alg = parse_jws_algorithm(to_string(alg));
    ASSERT_TRUE(parsed_alg.ok());
    EXPECT_EQ(*parsed_alg, alg);
  }
  EXPECT_EQ(key_type_of(JwsAlgorithm::rs384), "RSA");
  EXPECT_EQ(key_type_of(JwsAlgorithm::es384), "EC");
}

TEST(JwtClaims, AcceptsAValidClaimSet) {
  auto jwt = parsed(claims_json());
  auto status = check_claims(jwt, rules(), kNow);
  EXPECT_TRUE(status.ok()) << status.error().message;
}

TEST(JwtClaims, ExpIsRequiredAndANumber) {
  auto missing = check_claims(parsed(claims_json({{"exp", nullptr}})), rules(), kNow);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(contains(missing.error().message, "no \"exp\"")) << missing.error().message;
  auto text = check_claims(parsed(claims_json({{"exp", std::to_string(kNow + 300)}})), rules(), kNow);
  ASSERT_FALSE(text.ok());
  EXPECT_TRUE(contains(text.error().message, "not a number")) << text.error().message;
  EXPECT_FALSE(check_claims(parsed(claims_json({{"exp", true}})), rules(), kNow).ok());
}

TEST(JwtClaims, ExpiryHonoursTheLeewayExactly) {
  const auto jwt = parsed(claims_json({{"exp", kNow}}));
  EXPECT_FALSE(check_claims(jwt, rules(0), kNow).ok());      // now >= exp
  EXPECT_TRUE(check_claims(jwt, rules(0), kNow - 1).ok());
  EXPECT_TRUE(check_claims(jwt, rules(60), kNow + 59).ok());
  auto late = check_claims(jwt, rules(60), kNow + 60);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().kind, ErrorKind::remote_protocol);
  EXPECT_TRUE(contains(late.error().message, "expired 60 s ago")) << late.error().message;
}

TEST(JwtClaims, FractionalAndExtremeDates) {
  EXPECT_TRUE(check_claims(parsed(claims_json({{"exp", kNow + 0.5}})), rules(0), kNow - 1).ok());
  EXPECT_FALSE(check_claims(parsed(claims_json({{"exp", kNow + 0.5}})), rules(0), kNow).ok());  // rounded down
  EXPECT_TRUE(check_claims(parsed(claims_json({{"exp", 1e300}})), rules(), kNow).ok());
  EXPECT_TRUE(check_claims(parsed(claims_json({{"exp", 18446744073709551615ULL}})), rules(), kNow).ok());
  EXPECT_FALSE(check_claims(parsed(claims_json({{"exp", -1e300}})), rules(), kNow).ok());
  EXPECT_FALSE(check_claims(parsed(claims_json({{"nbf", 1e300}})), rules(), kNow).ok());
}

TEST(JwtClaims, NotBeforeInTheFuture) {
  const auto jwt = parsed(claims_json({{"nbf", kNow + 100}}));
  EXPECT_TRUE(check_claims(jwt, rules(100), kNow).ok());
  auto early = check_claims(jwt, rules(60), kNow);
  ASSERT_FALSE(early.ok());
  EXPECT_TRUE(contains(early.error().message, "nbf")) << early.error().message;
  EXPECT_FALSE(check_claims(parsed(claims_json({{"nbf", "soon"}})), rules(), kNow).ok());
}

TEST(JwtClaims, IssuedInTheFuture) {
  const auto jwt = parsed(claims_json({{"iat", kNow + 61}}));
  auto future = check_claims(jwt, rules(60), kNow);
  ASSERT_FALSE(future.ok());
  EXPECT_TRUE(contains(future.error().message, "iat")) << future.error().message;
  EXPECT_TRUE(check_claims(jwt, rules(61), kNow).ok());
  EXPECT_TRUE(check_claims(parsed(claims_json({{"iat", nullptr}, {"nbf", nullptr}})), rules(), kNow).ok());
}

TEST(JwtClaims, AudienceAsStringOrArray) {
  EXPECT_TRUE(check_claims(parsed(claims_json({{"aud", "aud-tag"}})), rules(), kNow).ok());
  EXPECT_TRUE(check_claims(parsed(claims_json({{"aud", nlohmann::json::array({"x", "other"})}})), rules(), kNow).ok());
  auto wrong = check_claims(parsed(claims_json({{"aud", nlohmann::json::array({"x", "y"})}})), rules(), kNow);
  ASSERT_FALSE(wrong.ok());
  EXPECT_TRUE(contains(wrong.error().message, "aud \"x\" (+1 more)")) << wrong.error().message;
  EXPECT_FALSE(check_claims(parsed(claims_json({{"aud", "AUD-TAG"}})), rules(), kNow).ok());  // exact match
  EXPECT_FALSE(check_claims(parsed(claims_json({{"aud", nlohmann::json::array()}})), rules(), kNow).ok());
  EXPECT_FALSE(check_claims(parsed(claims_json({{"aud", nlohmann::json::array({"aud-tag", 3})}})), rules(), kNow).ok());
  EXPECT_FALSE(check_claims(parsed(claims_json({{"aud", 3}})), rules(), kNow).ok());
  auto missing = check_claims(parsed(claims_json({{"aud", nullptr}})), rules(), kNow);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(contains(missing.error().message, "no \"aud\"")) << missing.error().message;
}

TEST(JwtClaims, IssuerMustMatchExactly) {
  auto wrong = check_claims(parsed(claims_json({{"iss", "https://evil.cloudflareaccess.com"}})), rules(), kNow);
  ASSERT_FALSE(wrong.ok());
  EXPECT_TRUE(contains(wrong.error().message, "iss \"https://evil.cloudflareaccess.com\"")) << wrong.error().message;
  EXPECT_FALSE(check_claims(parsed(claims_json({{"iss", "https://team.cloudflareaccess.com/"}})), rules(), kNow).ok());
  EXPECT_FALSE(check_claims(parsed(claims_json({{"iss", nullptr}})), rules(), kNow).ok());
  EXPECT_FALSE(check_claims(parsed(claims_json({{"iss", 1}})), rules(), kNow).ok());
}

TEST(JwtClaims, RulesWithoutAudienceOrIssuerFailClosed) {
  const auto jwt = parsed(claims_json());
  auto no_audience = check_claims(jwt, {{}, "https://team.cloudflareaccess.com", 60}, kNow);
  ASSERT_FALSE(no_audience.ok());
  EXPECT_EQ(no_audience.error().kind, ErrorKind::local);
  auto no_issuer = check_claims(jwt, {{"aud-tag"}, "", 60}, kNow);
  ASSERT_FALSE(no_issuer.ok());
  EXPECT_EQ(no_issuer.error().kind, ErrorKind::local);
  EXPECT_FALSE(check_claims(jwt, rules(-1), kNow).ok());
  EXPECT_FALSE(check_claims(jwt, rules(86401), kNow).ok());
}

TEST(JwtPrincipal, EmailThenSub) {
  auto email = principal_of(parsed(claims_json()));
  ASSERT_TRUE(email.ok());
  EXPECT_EQ(*email, "alice@example.com");
  auto sub = principal_of(parsed(claims_json({{"email", nullptr}})));
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(*sub, "user-123");
  EXPECT_EQ(*principal_of(parsed(claims_json({{"email", ""}}))), "user-123");
  EXPECT_EQ(*principal_of(parsed(claims_json({{"email", 5}}))), "user-123");
  EXPECT_EQ(*principal_of(parsed(claims_json({{"email_verified", false}}))), "user-123");
  EXPECT_EQ(*principal_of(parsed(claims_json({{"email_verified", true}}))), "alice@example.com");
}

TEST(JwtPrincipal, RefusesTokensNamingNobodyOrUnprintableNames) {
  EXPECT_FALSE(principal_of(parsed(claims_json({{"email", nullptr}, {"sub", nullptr}}))).ok());
  EXPECT_FALSE(principal_of(parsed(claims_json({{"email", nullptr}, {"sub", ""}}))).ok());
  EXPECT_FALSE(principal_of(parsed(claims_json({{"email", "a\nb@example.com"}}))).ok());
  EXPECT_FALSE(principal_of(parsed(claims_json({{"email", std::string(257, 'a')}}))).ok());
  EXPECT_TRUE(principal_of(parsed(claims_json({{"email", "jürgen@example.com"}}))).ok());  // UTF-8 is fine
}

TEST(StrictJson, ParsesOrDiscards) {
  EXPECT_EQ(parse_strict_json(R"({"a":[1,{"b":2}]})")["a"][1]["b"], 2);
  EXPECT_TRUE(parse_strict_json(R"({"a":1,"a":1})").is_discarded());
  EXPECT_TRUE(parse_strict_json("").is_discarded());
  EXPECT_TRUE(parse_strict_json("[[[1]]]", 2).is_discarded());
  EXPECT_FALSE(parse_strict_json("[[[1]]]", 3).is_discarded());
}

TEST(Jwt, UnverifiedExpiryReadsOnlyTheExpClaim) {
  const auto with = [](std::string_view payload) { return token_of(R"({"alg":"HS256"})", payload); };
  EXPECT_EQ(unverified_expiry(with(R"({"sub":"alice","exp":1700000000})")), 1700000000);
  EXPECT_EQ(unverified_expiry(with(R"({"exp":1700000000.75})")), 1700000000);
  EXPECT_EQ(unverified_expiry(with(R"({"sub":"alice"})")), std::nullopt);
  EXPECT_EQ(unverified_expiry(with(R"({"exp":"soon"})")), std::nullopt);
  EXPECT_EQ(unverified_expiry(with("[1,2]")), std::nullopt);
  EXPECT_EQ(unverified_expiry(with("not json")), std::nullopt);
  EXPECT_EQ(unverified_expiry("opaque-bearer-token"), std::nullopt);
  EXPECT_EQ(unverified_expiry("a.b"), std::nullopt);
  EXPECT_EQ(unverified_expiry("a.b.c.d"), std::nullopt);
  EXPECT_EQ(unverified_expiry("a.eyJleHAiOjF9=.c"), std::nullopt) << "padding is not base64url";
  EXPECT_EQ(unverified_expiry("a.eyJleHAiOjF9.c"), 1);
}

}  // namespace
}  // namespace sshrelay
