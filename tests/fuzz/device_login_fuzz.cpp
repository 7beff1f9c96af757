// What an identity provider, a relay or a credentials file can hand `sshrelay auth` and the commands that
// use its saved login: the relay's login configuration, the provider's discovery document, device
// authorization and token answers, the saved file, RFC 3339 times. Checks: nothing crashes or throws; a
// time that parses formats back to the same instant (to the millisecond); a login configuration that
// parses survives its own round trip; a saved file that parses holds a token or a command and survives
// its round trip; a device authorization that parses has its codes and a positive lifetime.
#include <cstddef>
#include <cstdint>
#include <fuzzer/FuzzedDataProvider.h>
#include <string>

#include "core/common/utc_time.hpp"
#include "core/identity/cached_credentials.hpp"
#include "core/identity/device_login.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sshrelay;
  FuzzedDataProvider in(data, size);
  const auto time_text = in.ConsumeRandomLengthString(48);
  if (auto ms = parse_rfc3339_millis(time_text)) {
    // Years 0000-9999 only: the formatter writes four digits.
    if (*ms >= -62'135'596'800'000LL && *ms < 253'402'300'800'000LL) FUZZ_CHECK(parse_rfc3339_millis(format_utc_millis(*ms)) == *ms);
  }
  const auto status = in.ConsumeIntegralInRange<unsigned>(100, 599);
  const auto document = in.ConsumeRandomLengthString(512);
  const int which = in.ConsumeIntegralInRange(0, 4);
  const auto now = TimePoint{} + std::chrono::seconds(in.ConsumeIntegralInRange(0, 1000));
  switch (which) {
    case 0:
      if (auto config = parse_login_config(document)) {
        auto again = parse_login_config(login_config_json(*config));
        FUZZ_CHECK(again);
        FUZZ_CHECK(again->issuer == config->issuer && again->client_id == config->client_id);
        FUZZ_CHECK(again->scopes == config->scopes || config->scopes.empty());
        (void)check_device_login(*config);
        (void)device_authorization_body(*config);
      }
      break;
    case 1: {
      LoginEndpoints endpoints;
      endpoints.issuer = "https://idp.example";
      if (complete_from_oidc_discovery(endpoints, document)) FUZZ_CHECK(endpoints.issuer == "https://idp.example");
      break;
    }
    case 2:
      if (auto a = parse_device_authorization(status, document)) {
        FUZZ_CHECK(status == 200);
        FUZZ_CHECK(!a->device_code.empty() && !a->user_code.empty() && !a->verification_uri.empty());
        FUZZ_CHECK(a->expires_in.count() > 0 && a->interval.count() > 0 && a->interval.count() <= 60);
        DevicePoll poll(*a, now);
        const auto step = poll.on_answer(in.ConsumeIntegralInRange<unsigned>(100, 599), in.ConsumeRemainingBytesAsString(), now);
        if (step.outcome == DevicePoll::Outcome::granted) FUZZ_CHECK(step.grant && !step.grant->access_token.empty());
        if (step.outcome == DevicePoll::Outcome::failed) FUZZ_CHECK(!step.message.empty());
        if (step.outcome == DevicePoll::Outcome::keep_polling) FUZZ_CHECK(poll.next_poll_at() < poll.expires_at());
      }
      break;
    case 3: {
      const auto answer = parse_token_answer(status, document);
      if (answer.grant) FUZZ_CHECK(status == 200 && !answer.grant->access_token.empty());
      else FUZZ_CHECK(!answer.error.code.empty());
      break;
    }
    default:
      if (auto saved = parse_cached_credentials(document)) {
        FUZZ_CHECK(!saved->access_token.empty() || saved->is_command());
        auto again = parse_cached_credentials(credentials_to_json(*saved));
        FUZZ_CHECK(again);
        FUZZ_CHECK(again->access_token == saved->access_token && again->token_command == saved->token_command);
      }
      break;
  }
  return 0;
}
