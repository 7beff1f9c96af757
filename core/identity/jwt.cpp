#include "core/identity/jwt.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <set>

#include "core/common/base64.hpp"
#include "core/common/quote.hpp"

namespace sshrelay {
namespace {

constexpr std::size_t kMaxPrincipalBytes = 256;
constexpr std::int64_t kMaxLeewaySeconds = 86400;
// NumericDate values are clamped to this range so that `now + leeway` can never overflow.
constexpr std::int64_t kTimeLimit = std::int64_t{1} << 52;

std::string text(std::int64_t value) { return std::to_string(value); }

// A NumericDate claim: nullopt when absent, an error when present but not a finite number.
Result<std::optional<std::int64_t>> numeric_date(const nlohmann::json& claims, const char* name) {
  const auto it = claims.find(name);
  if (it == claims.end()) return std::optional<std::int64_t>{};
  if (it->is_number_unsigned()) {
    const auto value = it->get<std::uint64_t>();
    return std::optional<std::int64_t>{static_cast<std::int64_t>(std::min<std::uint64_t>(value, kTimeLimit))};
  }
  if (it->is_number_integer()) {
    return std::optional<std::int64_t>{std::clamp<std::int64_t>(it->get<std::int64_t>(), -kTimeLimit, kTimeLimit)};
  }
  if (it->is_number_float()) {
    const double value = it->get<double>();
    if (!std::isfinite(value)) return protocol_error(std::string("claim \"") + name + "\" is not a finite number");
    const double clamped = std::clamp(std::floor(value), static_cast<double>(-kTimeLimit), static_cast<double>(kTimeLimit));
    return std::optional<std::int64_t>{static_cast<std::int64_t>(clamped)};
  }
  return protocol_error(std::string("claim \"") + name + "\" is not a number (NumericDate)");
}

Result<nlohmann::json> decode_object(std::string_view segment, const char* what) {
  if (segment.empty()) return protocol_error(std::string("JWT ") + what + " segment is empty");
  auto bytes = base64url_decode(segment);
  if (!bytes) return protocol_error(std::string("JWT ") + what + " segment is not base64url");
  const std::string_view json_text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  auto json = parse_strict_json(json_text);
  if (json.is_discarded()) {
    return protocol_error(std::string("JWT ") + what + " is not valid JSON (or has duplicate members)");
  }
  if (!json.is_object()) return protocol_error(std::string("JWT ") + what + " is not a JSON object");
  return json;
}

}  // namespace

Result<JwsAlgorithm> parse_jws_algorithm(std::string_view alg) {
  if (alg == "RS256") return JwsAlgorithm::rs256;
  if (alg == "RS384") return JwsAlgorithm::rs384;
  if (alg == "RS512") return JwsAlgorithm::rs512;
  if (alg == "ES256") return JwsAlgorithm::es256;
  if (alg == "ES384") return JwsAlgorithm::es384;
  std::string lower(alg);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
  if (lower == "none") return protocol_error("JWT alg \"none\" (unsigned token) is not accepted");
  if (lower.rfind("hs", 0) == 0) {
    return protocol_error("JWT alg " + quote(alg) + " is not accepted: HMAC algorithms are never used with public keys");
  }
  return protocol_error("JWT alg " + quote(alg) + " is not accepted (RS256, RS384, RS512, ES256, ES384 are)");
}

std::string_view to_string(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::rs256: return "RS256";
    case JwsAlgorithm::rs384: return "RS384";
    case JwsAlgorithm::rs512: return "RS512";
    case JwsAlgorithm::es256: return "ES256";
    case JwsAlgorithm::es384: return "ES384";
  }
  return "?";
}

std::string_view key_type_of(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::rs256:
    case JwsAlgorithm::rs384:
    case JwsAlgorithm::rs512: return "RSA";
    case JwsAlgorithm::es256:
    case JwsAlgorithm::es384: return "EC";
  }
  return "?";
}

nlohmann::json parse_strict_json(std::string_view json_text, int max_depth) {
  // Member names seen so far in each open container (arrays get an unused entry so that the stack depth
  // is the nesting depth).
  std::vector<std::set<std::string>> open;
  bool bad = false;
  const std::size_t depth_limit = max_depth < 0 ? 0 : static_cast<std::size_t>(max_depth);
  auto callback = [&](int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    switch (event) {
      case Event::object_start:
      case Event::array_start:
        open.emplace_back();
        if (open.size() > depth_limit) bad = true;
        break;
      case Event::object_end:
      case Event::array_end:
        if (!open.empty()) open.pop_back();
        break;
      case Event::key:
        if (!open.empty() && parsed.is_string() && !open.back().insert(parsed.get_ref<const std::string&>()).second) {
          bad = true;
        }
        break;
      case Event::value:
        break;
    }
    return true;
  };
  auto json = nlohmann::json::parse(json_text.begin(), json_text.end(), callback, /*allow_exceptions=*/false);
  if (bad) return nlohmann::json(nlohmann::json::value_t::discarded);
  return json;
}

std::optional<std::int64_t> unverified_expiry(std::string_view token) {
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (token.size() > kMaxJwtBytes || second == std::string_view::npos ||
      token.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  const auto claims = decode_object(token.substr(first + 1, second - first - 1), "payload");
  if (!claims) return std::nullopt;
  const auto exp = numeric_date(*claims, "exp");
  if (!exp) return std::nullopt;
  return *exp;
}

Result<ParsedJwt> parse_jwt(std::string_view token) {
  if (token.size() > kMaxJwtBytes) {
    return protocol_error("JWT is " + std::to_string(token.size()) + " bytes, over the " +
                          std::to_string(kMaxJwtBytes) + "-byte limit");
  }
  if (token.empty()) return protocol_error("JWT is empty");
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    const auto dots = std::count(token.begin(), token.end(), '.');
    return protocol_error("JWT is not a compact JWS: expected 3 segments, found " + std::to_string(dots + 1));
  }
  const auto header_segment = token.substr(0, first);
  const auto payload_segment = token.substr(first + 1, second - first - 1);
  const auto signature_segment = token.substr(second + 1);

  ParsedJwt jwt;
  auto header = decode_object(header_segment, "header");
  if (!header) return header.error();
  jwt.header = std::move(*header);

  const auto alg = jwt.header.find("alg");
  if (alg == jwt.header.end()) return protocol_error("JWT header has no \"alg\"");
  if (!alg->is_string()) return protocol_error("JWT header \"alg\" is not a string");
  jwt.alg_name = alg->get<std::string>();
  auto algorithm = parse_jws_algorithm(jwt.alg_name);
  if (!algorithm) return algorithm.error();
  jwt.alg = *algorithm;

  if (const auto kid = jwt.header.find("kid"); kid != jwt.header.end()) {
    if (!kid->is_string()) return protocol_error("JWT header \"kid\" is not a string");
    jwt.kid = kid->get<std::string>();
  }
  if (jwt.header.contains("crit")) return protocol_error("JWT header has \"crit\" extensions, which are not understood");
  if (jwt.header.contains("b64")) return protocol_error("JWT header has \"b64\" (unencoded payload), which is not accepted");

  auto claims = decode_object(payload_segment, "payload");
  if (!claims) return claims.error();
  jwt.claims = std::move(*claims);

  if (signature_segment.empty()) return protocol_error("JWT has an empty signature");
  auto signature = base64url_decode(signature_segment);
  if (!signature) return protocol_error("JWT signature segment is not base64url");
  jwt.signature = std::move(*signature);
  jwt.signing_input = std::string(token.substr(0, second));
  return jwt;
}

Status check_claims(const ParsedJwt& jwt, const ClaimRules& rules, std::int64_t now) {
  if (rules.audiences.empty()) return local_error("no audience configured: refusing to accept any token");
  if (rules.issuer.empty()) return local_error("no issuer configured: refusing to accept any token");
  if (rules.leeway_seconds < 0 || rules.leeway_seconds > kMaxLeewaySeconds) {
    return local_error("leeway must be 0.." + text(kMaxLeewaySeconds) + " seconds");
  }
  const std::int64_t leeway = rules.leeway_seconds;
  now = std::clamp(now, -kTimeLimit, kTimeLimit);
  const auto& claims = jwt.claims;

  auto exp = numeric_date(claims, "exp");
  if (!exp) return exp.error();
  if (!*exp) return protocol_error("JWT has no \"exp\" claim (tokens without an expiry are not accepted)");
  if (now >= **exp + leeway) {
    return protocol_error("JWT expired " + text(now - **exp) + " s ago (leeway " + text(leeway) + " s)");
  }
  auto nbf = numeric_date(claims, "nbf");
  if (!nbf) return nbf.error();
  if (*nbf && now + leeway < **nbf) {
    return protocol_error("JWT is not valid for another " + text(**nbf - now) + " s (nbf; leeway " + text(leeway) + " s)");
  }
  auto iat = numeric_date(claims, "iat");
  if (!iat) return iat.error();
  if (*iat && **iat > now + leeway) {
    return protocol_error("JWT was issued " + text(**iat - now) + " s in the future (iat; leeway " + text(leeway) + " s)");
  }

  const auto iss = claims.find("iss");
  if (iss == claims.end()) return protocol_error("JWT has no \"iss\" claim");
  if (!iss->is_string()) return protocol_error("JWT \"iss\" is not a string");
  if (iss->get_ref<const std::string&>() != rules.issuer) {
    return protocol_error("JWT iss " + quote(iss->get_ref<const std::string&>()) + " is not the configured issuer " +
                          quote(rules.issuer));
  }

  const auto aud = claims.find("aud");
  if (aud == claims.end()) return protocol_error("JWT has no \"aud\" claim");
  std::vector<std::string> token_audiences;
  if (aud->is_string()) {
    token_audiences.push_back(aud->get<std::string>());
  } else if (aud->is_array()) {
    for (const auto& entry : *aud) {
      if (!entry.is_string()) return protocol_error("JWT \"aud\" array holds a non-string");
      token_audiences.push_back(entry.get<std::string>());
    }
  } else {
    return protocol_error("JWT \"aud\" is neither a string nor an array of strings");
  }
  for (const auto& candidate : token_audiences) {
    if (std::find(rules.audiences.begin(), rules.audiences.end(), candidate) != rules.audiences.end()) return Ok{};
  }
  std::string shown = token_audiences.empty() ? std::string("[]") : quote(token_audiences.front());
  if (token_audiences.size() > 1) shown += " (+" + std::to_string(token_audiences.size() - 1) + " more)";
  return protocol_error("JWT aud " + shown + " does not name a configured audience");
}

Result<std::string> principal_of(const ParsedJwt& jwt) {
  const auto usable = [](const nlohmann::json& claims, const char* name) -> std::optional<std::string> {
    const auto it = claims.find(name);
    if (it == claims.end() || !it->is_string()) return std::nullopt;
    const auto& value = it->get_ref<const std::string&>();
    if (value.empty()) return std::nullopt;
    return value;
  };
  std::optional<std::string> name;
  const auto verified = jwt.claims.find("email_verified");
  const bool email_unverified = verified != jwt.claims.end() && verified->is_boolean() && !verified->get<bool>();
  if (!email_unverified) name = usable(jwt.claims, "email");
  if (!name) name = usable(jwt.claims, "sub");
  if (!name) return protocol_error("JWT names nobody: no usable \"email\" or \"sub\" claim");
  if (name->size() > kMaxPrincipalBytes) {
    return protocol_error("JWT principal is " + std::to_string(name->size()) + " bytes, over the " +
                          std::to_string(kMaxPrincipalBytes) + "-byte limit");
  }
  for (const char c : *name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return protocol_error("JWT principal holds control characters");
  }
  return *name;
}

}  // namespace sshrelay
