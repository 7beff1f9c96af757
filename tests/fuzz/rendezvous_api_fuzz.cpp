// The rendezvous service's parsers on arbitrary input: Go durations, the admin API's create body, a leg's
// request (query parameters and a bearer token). Checks: nothing crashes or throws; a duration that
// parses is within a year and not negative; a leg request that parses has a token, and a resume has a
// valid leg id; a plain leg never parses as a resume.
#include <cstddef>
#include <cstdint>
#include <fuzzer/FuzzedDataProvider.h>
#include <string>

#include "core/rendezvous/rendezvous_api.hpp"
#include "core/session/session_id.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sshrelay;
  using namespace sshrelay::rendezvous;
  FuzzedDataProvider in(data, size);
  const auto duration_text = in.ConsumeRandomLengthString(64);
  if (auto d = parse_duration(duration_text)) {
    FUZZ_CHECK(d->count() >= 0);
    FUZZ_CHECK(*d <= std::chrono::hours(24 * 366));
  }
  const auto body = in.ConsumeRandomLengthString(256);
  if (auto ttl = parse_create_body(body); ttl && *ttl) FUZZ_CHECK((*ttl)->count() >= 0);

  QueryParams params;
  const int count = in.ConsumeIntegralInRange(0, 4);
  for (int i = 0; i < count; ++i) {
    static const char* const kNames[] = {"token", "sid", "ack", "other"};
    params[kNames[in.ConsumeIntegralInRange(0, 3)]] = in.ConsumeRandomLengthString(40);
  }
  const auto bearer = in.ConsumeRandomLengthString(40);
  const bool resumable = in.ConsumeBool();
  const auto id = in.ConsumeRemainingBytesAsString();
  if (auto leg = parse_leg_request(id, params, bearer, resumable)) {
    FUZZ_CHECK(!leg->token.empty());
    if (leg->resume_sid) {
      FUZZ_CHECK(resumable);
      FUZZ_CHECK(is_valid_session_id(*leg->resume_sid));
    }
  }
  (void)id_after(id, kLegPathPrefix);
  return 0;
}
