#pragma once
// JSON Web Tokens as identity-aware proxies send them (Cloudflare Access, GCP IAP, OIDC providers): a
// compact JWS (RFC 7515 §7.1) whose payload is a JWT claims set (RFC 7519). This file parses the token
// and checks its claims; the signature is checked by the caller with a key from the issuer's JWKS
// (native/daemon/identity/jwt_signature.hpp). Nothing here has a clock: `now` is passed in.
//
// Every error message names the check that failed and may quote short, sanitised header or claim values
// (alg, kid, aud, iss) — never the token text, a segment of it or the signature. Errors about the token
// are protocol errors (the bytes came from a client); misuse by the caller is a local error.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/common/result.hpp"

namespace sshrelay {

// Tokens longer than this are refused before any decoding. Real ones are 0.7-2 KiB (Cloudflare Access
// ~1 KiB with RS256, IAP ~0.8 KiB); browsers cap a cookie at 4 KiB.
inline constexpr std::size_t kMaxJwtBytes = 16 * 1024;

// The signature algorithms the relay accepts (RFC 7518 §3.1). Everything else is refused by name:
// "none" (unsigned), HS256/384/512 (a shared secret: with a published key as the "secret" anyone could
// sign), PS*, ES512, EdDSA and unknown names (not needed by the supported providers).
enum class JwsAlgorithm { rs256, rs384, rs512, es256, es384 };

Result<JwsAlgorithm> parse_jws_algorithm(std::string_view alg);
std::string_view to_string(JwsAlgorithm alg);
// The JWK key type an algorithm needs: "RSA" or "EC".
std::string_view key_type_of(JwsAlgorithm alg);

// A compact JWS taken apart. Not verified: the signature still has to be checked against a key.
struct ParsedJwt {
  nlohmann::json header;   // the JOSE header, a JSON object
  nlohmann::json claims;   // the payload, a JSON object (the JWT claims set)
  JwsAlgorithm alg = JwsAlgorithm::rs256;
  std::string alg_name;    // header "alg" as sent, e.g. "RS256"
  std::string kid;         // header "kid"; empty when absent
  std::string signing_input;          // ASCII(BASE64URL(header) '.' BASE64URL(payload)), what was signed
  std::vector<std::uint8_t> signature;  // the decoded third segment (raw R||S for ES*)
};

// Parses a compact JWS. Refuses, in this order: more than kMaxJwtBytes; anything but exactly three
// '.'-separated segments; a header segment that is not strict base64url (see core/common/base64.hpp) of a
// JSON object (duplicate member names and nesting deeper than 32 levels count as malformed); a missing
// or non-string "alg"; an algorithm parse_jws_algorithm refuses (so an "alg":"none" token is refused by
// name, before its empty signature is noticed); a non-string "kid"; a "crit" member (no extensions are
// understood, RFC 7515 §4.1.11) and "b64" (RFC 7797 unencoded payloads); a payload that is not a JSON
// object; an empty or undecodable signature.
// Header members that point at keys ("jku", "x5u", "jwk", "x5c") are ignored: keys come from the
// configured JWKS only.
Result<ParsedJwt> parse_jwt(std::string_view token);

struct ClaimRules {
  std::vector<std::string> audiences;  // "aud" must contain at least one of these (exact match); required
  std::string issuer;                  // "iss" must equal this exactly; required
  std::int64_t leeway_seconds = 60;    // clock skew allowed on exp, nbf and iat (0..86400)
};

// Checks the registered claims at `now_unix_seconds`:
// - exp: required, a number; refused when now >= exp + leeway;
// - nbf: optional, a number; refused when now + leeway < nbf;
// - iat: optional, a number; refused when iat > now + leeway (issued in the future);
// - aud: a string or an array of strings, at least one of which is in rules.audiences;
// - iss: a string equal to rules.issuer.
// NumericDate values may be fractional (RFC 7519 §2); they are rounded down. Rules without an audience or
// an issuer, or with a leeway outside 0..86400, are a local error: fail closed rather than skip a check.
Status check_claims(const ParsedJwt& jwt, const ClaimRules& rules, std::int64_t now_unix_seconds);

// Who the token names: "email" when it is a non-empty string (unless "email_verified" is present and
// false, as some OIDC providers send for addresses they never checked), else "sub". At most 256 bytes,
// no control characters (the name goes into logs and audit events). Error when neither is usable.
Result<std::string> principal_of(const ParsedJwt& jwt);

// The `exp` claim (seconds since the epoch, rounded down) of a compact JWS, read WITHOUT checking
// anything else: for a client deciding whether a cached token of its own is still worth sending (the
// relay, or the proxy in front of it, verifies it). nullopt when the token is not such a JWT or has no
// numeric exp.
std::optional<std::int64_t> unverified_expiry(std::string_view token);

// A JSON document from a peer: parse without exceptions, refusing duplicate object member names and
// nesting deeper than `max_depth`. Returns a discarded value (is_discarded()) on any failure.
nlohmann::json parse_strict_json(std::string_view text, int max_depth = 32);

}  // namespace sshrelay
