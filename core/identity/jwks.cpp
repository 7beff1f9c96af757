#include "core/identity/jwks.hpp"

#include <algorithm>
#include <bit>
#include <nlohmann/json.hpp>

#include "core/common/base64.hpp"
#include "core/identity/jwt.hpp"
#include "core/common/quote.hpp"

namespace sshrelay {
namespace {

constexpr std::size_t kMinRsaBits = 2048;
constexpr std::size_t kMaxRsaBits = 16384;

std::optional<std::string> string_member(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// Key material: strict base64url once trailing '=' padding is removed.
Result<std::vector<std::uint8_t>> key_bytes(const nlohmann::json& key, const char* name) {
  const auto it = key.find(name);
  if (it == key.end()) return protocol_error(std::string("no \"") + name + "\"");
  if (!it->is_string()) return protocol_error(std::string("\"") + name + "\" is not a string");
  std::string_view text = it->get_ref<const std::string&>();
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  auto bytes = base64url_decode(text);
  if (!bytes) return protocol_error(std::string("\"") + name + "\" is not base64url");
  if (bytes->empty()) return protocol_error(std::string("\"") + name + "\" is empty");
  return bytes;
}

std::size_t bit_length(const std::vector<std::uint8_t>& big_endian) {
  auto first = std::find_if(big_endian.begin(), big_endian.end(), [](std::uint8_t b) { return b != 0; });
  if (first == big_endian.end()) return 0;
  const auto bytes = static_cast<std::size_t>(big_endian.end() - first);
  return (bytes - 1) * 8 + static_cast<std::size_t>(std::bit_width(static_cast<unsigned>(*first)));
}

// Why a key cannot be used, or an empty string when it can (then `out` is filled).
std::string examine(const nlohmann::json& key, Jwk& out) {
  if (!key.is_object()) return "not a JSON object";
  out.kid = string_member(key, "kid").value_or("");
  if (key.contains("kid") && !key["kid"].is_string()) return "\"kid\" is not a string";
  const auto kty = string_member(key, "kty");
  if (!kty) return "no \"kty\"";
  out.kty = *kty;
  if (out.kty != "RSA" && out.kty != "EC") return "kty " + quote(out.kty) + " is not supported (RSA and EC are)";
  if (key.contains("use")) {
    const auto use = string_member(key, "use");
    if (!use || *use != "sig") return "\"use\" is not \"sig\"";
    out.use = *use;
  }
  if (const auto ops = key.find("key_ops"); ops != key.end()) {
    if (!ops->is_array()) return "\"key_ops\" is not an array";
    const bool verify = std::any_of(ops->begin(), ops->end(), [](const nlohmann::json& op) { return op.is_string() && op.get_ref<const std::string&>() == "verify"; });
    if (!verify) return "\"key_ops\" does not include \"verify\"";
  }
  std::optional<JwsAlgorithm> alg;
  if (key.contains("alg")) {
    const auto alg_name = string_member(key, "alg");
    if (!alg_name) return "\"alg\" is not a string";
    auto parsed = parse_jws_algorithm(*alg_name);
    if (!parsed) return "alg " + quote(*alg_name) + " is not accepted";
    if (key_type_of(*parsed) != out.kty) return "alg " + quote(*alg_name) + " does not fit kty " + out.kty;
    alg = *parsed;
    out.alg = *alg_name;
  }
  if (out.kty == "RSA") {
    auto n = key_bytes(key, "n");
    if (!n) return "RSA " + n.error().message;
    auto e = key_bytes(key, "e");
    if (!e) return "RSA " + e.error().message;
    const auto bits = bit_length(*n);
    if (bits < kMinRsaBits) return "RSA modulus of " + std::to_string(bits) + " bits is under 2048";
    if (bits > kMaxRsaBits) return "RSA modulus of " + std::to_string(bits) + " bits is over 16384";
    const auto e_bits = bit_length(*e);
    if (e_bits < 2 || e_bits > 64 || (e->back() & 1U) == 0) return "RSA exponent is not an odd number from 3 to 2^64";
    out.n = std::move(*n);
    out.e = std::move(*e);
    return {};
  }
  const auto crv = string_member(key, "crv");
  if (!crv) return "EC key has no \"crv\"";
  out.crv = *crv;
  std::size_t size = 0;
  JwsAlgorithm fits = JwsAlgorithm::es256;
  if (out.crv == "P-256") {
    size = 32;
  } else if (out.crv == "P-384") {
    size = 48;
    fits = JwsAlgorithm::es384;
  } else {
    return "EC curve " + quote(out.crv) + " is not supported (P-256 and P-384 are)";
  }
  if (alg && *alg != fits) return "alg " + out.alg + " does not fit curve " + out.crv;
  auto x = key_bytes(key, "x");
  if (!x) return "EC " + x.error().message;
  auto y = key_bytes(key, "y");
  if (!y) return "EC " + y.error().message;
  if (x->size() != size || y->size() != size) return "EC coordinates are not " + std::to_string(size) + " bytes each";
  out.x = std::move(*x);
  out.y = std::move(*y);
  return {};
}

}  // namespace

Result<JwkSet> parse_jwks(std::string_view document) {
  if (document.size() > kMaxJwksBytes) {
    return protocol_error("JWKS document is " + std::to_string(document.size()) + " bytes, over the " +
                          std::to_string(kMaxJwksBytes) + "-byte limit");
  }
  const auto json = parse_strict_json(document);
  if (json.is_discarded()) return protocol_error("JWKS document is not valid JSON (or has duplicate members)");
  if (!json.is_object()) return protocol_error("JWKS document is not a JSON object");
  const auto keys = json.find("keys");
  if (keys == json.end() || !keys->is_array()) return protocol_error("JWKS document has no \"keys\" array");
  JwkSet set;
  std::size_t index = 0;
  for (const auto& key : *keys) {
    Jwk jwk;
    auto reason = examine(key, jwk);
    if (reason.empty() && key.contains("d")) reason = "holds a private key (\"d\")";
    if (reason.empty()) {
      const bool duplicate = std::any_of(set.keys.begin(), set.keys.end(), [&](const Jwk& k) { return k.kid == jwk.kid; });
      if (duplicate) reason = "kid repeats an earlier key's";
    }
    if (reason.empty()) {
      set.keys.push_back(std::move(jwk));
    } else {
      set.skipped.push_back({index, jwk.kid, std::move(reason)});
    }
    ++index;
  }
  return set;
}

std::string oidc_discovery_url(std::string_view issuer) {
  while (!issuer.empty() && issuer.back() == '/') issuer.remove_suffix(1);
  return std::string(issuer) + "/.well-known/openid-configuration";
}

Result<std::string> parse_oidc_discovery(std::string_view document, std::string_view expected_issuer) {
  if (document.size() > kMaxJwksBytes) return protocol_error("OIDC discovery document is over the size limit");
  const auto json = parse_strict_json(document);
  if (json.is_discarded() || !json.is_object()) return protocol_error("OIDC discovery document is not a JSON object");
  const auto issuer = string_member(json, "issuer");
  if (!issuer) return protocol_error("OIDC discovery document has no \"issuer\"");
  if (*issuer != expected_issuer) {
    return protocol_error("OIDC discovery document names issuer " + quote(*issuer) + ", not the configured " +
                          quote(expected_issuer));
  }
  const auto jwks_uri = string_member(json, "jwks_uri");
  if (!jwks_uri) return protocol_error("OIDC discovery document has no \"jwks_uri\"");
  if (jwks_uri->rfind("https://", 0) != 0 || jwks_uri->size() <= 8) {
    return protocol_error("OIDC jwks_uri " + quote(*jwks_uri) + " is not an https:// URL");
  }
  return *jwks_uri;
}

JwksRefreshSchedule::JwksRefreshSchedule(Settings settings) : settings_(settings) {}

JwksRefreshSchedule::Demand JwksRefreshSchedule::on_unknown_kid(Millis now) const {
  if (in_flight_) return Demand::wait_for_fetch;
  if (on_demand_allowed_at(now)) return Demand::rate_limited;
  return Demand::start_fetch;
}

void JwksRefreshSchedule::fetch_started(Millis now, bool on_demand) {
  in_flight_ = true;
  if (on_demand) last_demand_start_ = now;
}

void JwksRefreshSchedule::fetch_succeeded(Millis now) {
  in_flight_ = false;
  failures_ = 0;
  next_due_ = now + settings_.refresh_interval;
}

void JwksRefreshSchedule::fetch_failed(Millis now) {
  in_flight_ = false;
  ++failures_;
  Millis backoff = settings_.initial_backoff;
  for (unsigned i = 1; i < failures_ && backoff < settings_.max_backoff; ++i) backoff *= 2;
  next_due_ = now + std::min(backoff, settings_.max_backoff);
}

std::optional<JwksRefreshSchedule::Millis> JwksRefreshSchedule::next_fetch_at() const {
  if (in_flight_) return std::nullopt;
  return next_due_;
}

std::optional<JwksRefreshSchedule::Millis> JwksRefreshSchedule::on_demand_allowed_at(Millis now) const {
  if (in_flight_ || !last_demand_start_) return std::nullopt;
  const Millis allowed = *last_demand_start_ + settings_.min_interval;
  if (now >= allowed) return std::nullopt;
  return allowed;
}

}  // namespace sshrelay
