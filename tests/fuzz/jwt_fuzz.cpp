// JWTs and base64url (core/jwt.hpp, core/common/base64.hpp, core/session_id.hpp). Checks:
// - parse_jwt: an accepted token is at most kMaxJwtBytes with exactly three segments; signing_input is
//   the text before the second '.'; header and claims are objects; alg_name names the algorithm parsed;
//   kid is the header's; no "crit" or "b64"; the signature re-encodes to the third segment exactly;
// - check_claims at a fixed `now`: an accepted token has the configured issuer, an audience from the
//   list, an exp in the future and nbf/iat that fit (within the leeway); rules without an audience or
//   issuer, or with a leeway outside 0..86400, are a local error; any refusal of the token is a protocol
//   error; nothing throws;
// - principal_of: at most 256 bytes, no control characters, the email (unless email_verified is false)
//   or the sub;
// - unverified_expiry agrees with the claims of a token parse_jwt accepts;
// - base64url: decode(text) re-encodes to text (one spelling), encode(bytes) decodes to bytes;
//   make_session_id accepts 16-96 bytes and yields a valid session id.
//
// Input: byte 0 picks how the rest is read: 0 a raw token; 1 three lines (header JSON, claims JSON,
// signature bytes) encoded into a token here; 2 bytes for base64url and session ids.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/common/base64.hpp"
#include "core/identity/jwt.hpp"
#include "core/session/session_id.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace sshrelay::fuzz {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::string_view kIssuer = "https://issuer.example";

double number_or(const nlohmann::json& claims, const char* name, double fallback) {
  const auto it = claims.find(name);
  return it != claims.end() && it->is_number() ? it->get<double>() : fallback;
}

bool names_an_audience(const nlohmann::json& aud, const ClaimRules& rules) {
  const auto listed = [&](const nlohmann::json& value) {
    return value.is_string() && std::find(rules.audiences.begin(), rules.audiences.end(),
                                          value.get<std::string>()) != rules.audiences.end();
  };
  if (aud.is_array()) return std::any_of(aud.begin(), aud.end(), listed);
  return listed(aud);
}

void check_claim_rules(const ParsedJwt& jwt, std::int64_t leeway) {
  ClaimRules rules{{"sshrelay", "https://relay.example"}, std::string(kIssuer), leeway};
  auto status = check_claims(jwt, rules, kNow);
  if (leeway < 0 || leeway > 86400) {
    FUZZ_CHECK(!status && status.error().kind == ErrorKind::local);
    return;
  }
  if (!status) {
    FUZZ_CHECK(status.error().kind == ErrorKind::remote_protocol);
    return;
  }
  const auto& claims = jwt.claims;
  FUZZ_CHECK(claims.contains("iss") && claims["iss"].is_string() && claims["iss"].get<std::string>() == kIssuer);
  FUZZ_CHECK(claims.contains("aud") && names_an_audience(claims["aud"], rules));
  const double now = static_cast<double>(kNow), slack = static_cast<double>(leeway);
  FUZZ_CHECK(claims.contains("exp") && number_or(claims, "exp", 0) + slack > now);
  FUZZ_CHECK(number_or(claims, "nbf", 0) < now + slack + 1);
  FUZZ_CHECK(number_or(claims, "iat", 0) < now + slack + 1);
  rules.issuer = "https://other.example";
  FUZZ_CHECK(!check_claims(jwt, rules, kNow).ok());
  rules.audiences.clear();
  FUZZ_CHECK(check_claims(jwt, rules, kNow).error().kind == ErrorKind::local);
}

void check_principal(const ParsedJwt& jwt) {
  auto principal = principal_of(jwt);
  if (!principal) {
    FUZZ_CHECK(principal.error().kind == ErrorKind::remote_protocol);
    return;
  }
  FUZZ_CHECK(!principal->empty() && principal->size() <= 256);
  for (const char c : *principal) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
  const auto& claims = jwt.claims;
  const auto string_claim = [&](const char* name) {
    return claims.contains(name) && claims[name].is_string() && claims[name].get<std::string>() == *principal;
  };
  const bool email_unverified = claims.contains("email_verified") && claims["email_verified"] == false;
  FUZZ_CHECK((string_claim("email") && !email_unverified) || string_claim("sub"));
}

void check_token(std::string_view token, std::int64_t leeway) {
  auto jwt = parse_jwt(token);
  const auto expiry = unverified_expiry(token);
  if (!jwt) {
    FUZZ_CHECK(jwt.error().kind == ErrorKind::remote_protocol);
    return;
  }
  FUZZ_CHECK(token.size() <= kMaxJwtBytes && std::count(token.begin(), token.end(), '.') == 2);
  const auto second_dot = token.rfind('.');
  FUZZ_CHECK(jwt->signing_input == token.substr(0, second_dot));
  FUZZ_CHECK(jwt->header.is_object() && jwt->claims.is_object());
  FUZZ_CHECK(jwt->header["alg"] == jwt->alg_name && to_string(jwt->alg) == jwt->alg_name);
  FUZZ_CHECK(jwt->kid == jwt->header.value("kid", std::string()));
  FUZZ_CHECK(!jwt->header.contains("crit") && !jwt->header.contains("b64"));
  FUZZ_CHECK(!jwt->signature.empty() && base64url_encode(jwt->signature) == token.substr(second_dot + 1));

  const auto exp = jwt->claims.find("exp");
  if (exp == jwt->claims.end()) FUZZ_CHECK(!expiry);
  if (exp != jwt->claims.end() && exp->is_number_integer() && std::abs(exp->get<double>()) < 1e15) {
    FUZZ_CHECK(expiry == exp->get<std::int64_t>());
  }
  check_claim_rules(*jwt, leeway);
  check_claim_rules(*jwt, 0);
  check_principal(*jwt);
}

void check_base64url(std::span<const std::uint8_t> bytes) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (auto decoded = base64url_decode(text)) {
    FUZZ_CHECK(base64url_encode(*decoded) == text);
  } else {
    FUZZ_CHECK(decoded.error().kind == ErrorKind::remote_protocol);
  }
  const std::string encoded = base64url_encode(bytes);
  FUZZ_CHECK(std::all_of(encoded.begin(), encoded.end(), is_base64url_char));
  auto round_trip = base64url_decode(encoded);
  FUZZ_CHECK(round_trip && std::equal(round_trip->begin(), round_trip->end(), bytes.begin(), bytes.end()));

  auto sid = make_session_id(bytes);
  FUZZ_CHECK(sid.ok() == (bytes.size() >= kMinSessionIdRandomBytes && bytes.size() <= kMaxSessionIdRandomBytes));
  if (sid) FUZZ_CHECK(is_valid_session_id(*sid) && *sid == encoded);
}

}  // namespace
}  // namespace sshrelay::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sshrelay;
  using namespace sshrelay::fuzz;
  if (size == 0) return 0;
  const std::uint8_t mode = data[0] % 3;
  const std::int64_t leeway = static_cast<std::int64_t>(data[0] / 3) * 1000 - 1000;  // -1000 .. 83000
  const std::string_view rest = as_text(data + 1, size - 1);
  if (mode == 0) {
    check_token(rest, leeway);
  } else if (mode == 1) {
    const auto first = rest.find('\n');
    const auto second = first == std::string_view::npos ? first : rest.find('\n', first + 1);
    if (second == std::string_view::npos) return 0;
    const std::string token = base64url_encode(rest.substr(0, first)) + "." +
                              base64url_encode(rest.substr(first + 1, second - first - 1)) + "." +
                              base64url_encode(rest.substr(second + 1));
    check_token(token, leeway);
  } else {
    check_base64url({data + 1, size - 1});
  }
  return 0;
}
