// JWK sets, OIDC discovery and the JWKS refresh schedule (core/jwks.hpp). Checks:
// - parse_jwks: every key of "keys" is either used or skipped with a reason, in order; a used key is RSA
//   with a 2048-16384-bit modulus and an odd exponent of 2-64 bits, or EC P-256/P-384 with coordinates of
//   the curve's size; its alg, when set, is one core/jwt.hpp accepts and fits the key; use is empty or
//   "sig"; kids of used keys are unique; refusals are protocol errors; nothing throws;
// - parse_oidc_discovery: an accepted document names the expected issuer and an https:// jwks_uri;
// - JwksRefreshSchedule, driven by operations at increasing times: next_fetch_at() is unset exactly while
//   a fetch is in flight; after a success the next fetch is refresh_interval away, after the n-th failure
//   in a row min(initial_backoff * 2^(n-1), max_backoff) away; an unknown kid waits for a fetch in
//   flight, is rate limited within min_interval of the last on-demand fetch, else starts one.
//
// Input: byte 0 picks the function (0 parse_jwks, 1 parse_oidc_discovery, 2 the schedule); the rest is
// the document, or for the schedule its settings and operations.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/identity/jwks.hpp"
#include "core/identity/jwt.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace sshrelay::fuzz {
namespace {

constexpr std::string_view kIssuer = "https://issuer.example";

std::size_t bit_length(const std::vector<std::uint8_t>& big_endian) {
  std::size_t bits = big_endian.size() * 8;
  for (const auto byte : big_endian) {
    if (byte != 0) {
      for (std::uint8_t mask = 0x80; (byte & mask) == 0; mask >>= 1) --bits;
      return bits;
    }
    bits -= 8;
  }
  return 0;
}

void check_key(const Jwk& key) {
  FUZZ_CHECK(key.use.empty() || key.use == "sig");
  if (!key.alg.empty()) {
    auto alg = parse_jws_algorithm(key.alg);
    FUZZ_CHECK(alg.ok() && key_type_of(*alg) == key.kty);
    if (key.kty == "EC") FUZZ_CHECK((*alg == JwsAlgorithm::es256) == (key.crv == "P-256"));
  }
  if (key.kty == "RSA") {
    const auto bits = bit_length(key.n);
    FUZZ_CHECK(bits >= 2048 && bits <= 16384);
    const auto e_bits = bit_length(key.e);
    FUZZ_CHECK(e_bits >= 2 && e_bits <= 64 && (key.e.back() & 1) == 1);
    return;
  }
  FUZZ_CHECK(key.kty == "EC");
  const std::size_t size = key.crv == "P-256" ? 32 : 48;
  FUZZ_CHECK(key.crv == "P-256" || key.crv == "P-384");
  FUZZ_CHECK(key.x.size() == size && key.y.size() == size);
}

void check_jwks(std::string_view document) {
  auto set = parse_jwks(document);
  if (!set) {
    FUZZ_CHECK(set.error().kind == ErrorKind::remote_protocol);
    return;
  }
  const auto json = parse_strict_json(document);
  FUZZ_CHECK(json.is_object() && json.contains("keys") && json["keys"].is_array());
  FUZZ_CHECK(set->keys.size() + set->skipped.size() == json["keys"].size());
  std::set<std::string> kids;
  for (const auto& key : set->keys) {
    check_key(key);
    FUZZ_CHECK(kids.insert(key.kid).second);
  }
  for (std::size_t i = 0; i < set->skipped.size(); ++i) {
    FUZZ_CHECK(!set->skipped[i].reason.empty() && set->skipped[i].index < json["keys"].size());
    if (i > 0) FUZZ_CHECK(set->skipped[i].index > set->skipped[i - 1].index);
  }
}

void check_discovery(std::string_view document) {
  auto uri = parse_oidc_discovery(document, kIssuer);
  if (!uri) {
    FUZZ_CHECK(uri.error().kind == ErrorKind::remote_protocol);
    return;
  }
  FUZZ_CHECK(uri->rfind("https://", 0) == 0 && uri->size() > 8);
  const auto json = parse_strict_json(document);
  FUZZ_CHECK(json.is_object() && json["issuer"] == kIssuer && json["jwks_uri"] == *uri);
}

void check_schedule(FuzzedDataProvider& in) {
  using Millis = JwksRefreshSchedule::Millis;
  using Demand = JwksRefreshSchedule::Demand;
  const auto millis = [&](std::int64_t most) { return Millis(in.ConsumeIntegralInRange<std::int64_t>(1, most)); };
  JwksRefreshSchedule::Settings settings{millis(100'000), millis(10'000'000), millis(100'000), millis(1'000'000)};
  JwksRefreshSchedule schedule(settings);
  Millis now{in.ConsumeIntegralInRange<std::int64_t>(0, 1'000'000'000)};
  std::optional<Millis> last_on_demand;
  bool in_flight = false;
  unsigned failures = 0;
  FUZZ_CHECK(schedule.next_fetch_at() == Millis{0});  // due at once
  for (int step = 0; step < 256 && in.remaining_bytes() > 0; ++step) {
    now += Millis(in.ConsumeIntegralInRange<std::int64_t>(0, 200'000));
    switch (in.ConsumeIntegralInRange<int>(0, 4)) {
      case 0: {
        const Demand demand = schedule.on_unknown_kid(now);
        const bool limited = last_on_demand && now < *last_on_demand + settings.min_interval;
        FUZZ_CHECK(demand == (in_flight ? Demand::wait_for_fetch : limited ? Demand::rate_limited : Demand::start_fetch));
        if (demand != Demand::start_fetch) break;
        schedule.fetch_started(now, true);
        in_flight = true;
        last_on_demand = now;
        break;
      }
      case 1:
        if (in_flight) break;
        schedule.fetch_started(now, false);
        in_flight = true;
        break;
      case 2:
        if (!in_flight) break;
        schedule.fetch_succeeded(now);
        in_flight = false;
        failures = 0;
        FUZZ_CHECK(schedule.next_fetch_at() == now + settings.refresh_interval);
        break;
      default: {
        if (!in_flight) break;
        schedule.fetch_failed(now);
        in_flight = false;
        ++failures;
        Millis backoff = settings.initial_backoff;
        for (unsigned i = 1; i < failures && backoff < settings.max_backoff; ++i) backoff *= 2;
        FUZZ_CHECK(schedule.next_fetch_at() == now + std::min(backoff, settings.max_backoff));
        break;
      }
    }
    FUZZ_CHECK(schedule.in_flight() == in_flight && schedule.next_fetch_at().has_value() == !in_flight);
    FUZZ_CHECK(schedule.consecutive_failures() == failures);
  }
}

}  // namespace
}  // namespace sshrelay::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sshrelay::fuzz;
  if (size == 0) return 0;
  const std::string_view document = as_text(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0: check_jwks(document); break;
    case 1: check_discovery(document); break;
    default: {
      FuzzedDataProvider in(data + 1, size - 1);
      check_schedule(in);
    }
  }
  return 0;
}
