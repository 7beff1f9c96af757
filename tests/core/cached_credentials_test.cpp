// The saved login's file format, and RFC 3339 times both ways.
#include "core/identity/cached_credentials.hpp"

#include <gtest/gtest.h>

#include "core/common/utc_time.hpp"

namespace sshrelay {
namespace {

TEST(Rfc3339, ParsesWhatGoAndWeWrite) {
  EXPECT_EQ(parse_rfc3339_millis("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339_millis("2024-05-01T12:00:00.123Z"), 1714564800123);
  EXPECT_EQ(parse_rfc3339_millis("2024-05-01T14:00:00.123456789+02:00"), 1714564800123);
  EXPECT_EQ(parse_rfc3339_millis("2024-05-01t12:00:00.5z"), 1714564800500);
  EXPECT_EQ(parse_rfc3339_millis("2024-02-29T00:00:00-01:30"), 1709170200000);
  for (const std::int64_t ms : {0LL, 1714564800123LL, 4102444800000LL, 951782400000LL}) {
    EXPECT_EQ(parse_rfc3339_millis(format_utc_millis(ms)), ms) << format_utc_millis(ms);
  }
  for (const char* bad : {"", "2024-05-01", "2024-05-01T12:00:00", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
                          "2024-05-01T24:00:00Z", "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00Zjunk",
                          "2024-05-01 12:00:00Z", "2024-05-01T12:00:00+2:00"}) {
    EXPECT_FALSE(parse_rfc3339_millis(bad)) << bad;
  }
}

TEST(CachedCredentials, RoundTripAndFreshness) {
  CachedCredentials c;
  c.access_token = "AT";
  c.refresh_token = "RT";
  c.expiry_unix = 1'800'000'000;
  c.issuer = "https://idp";
  c.token_endpoint = "https://idp/token";
  c.client_id = "cli";
  c.relay = "wss://relay:443";
  const auto text = credentials_to_json(c);
  EXPECT_NE(text.find("\"expiry\": \"2027-01-15T08:00:00.000Z\""), std::string::npos) << text;
  auto back = parse_cached_credentials(text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->expiry_unix, c.expiry_unix);
  EXPECT_EQ(back->relay, c.relay);
  EXPECT_TRUE(back->can_refresh());
  EXPECT_TRUE(back->fresh_at(1'800'000'000 - 31, 30));
  EXPECT_FALSE(back->fresh_at(1'800'000'000 - 30, 30));
}

TEST(CachedCredentials, ReadsASwsrsFile) {
  // golang.org/x/oauth2's Token as swsrs saves it: no expiry is the zero time.
  auto swsrs = parse_cached_credentials(
      R"({"access_token":"AT","token_type":"Bearer","refresh_token":"RT","expiry":"2026-12-06T18:04:05.123456+01:00"})");
  ASSERT_TRUE(swsrs) << swsrs.error().message;
  EXPECT_EQ(swsrs->expiry_unix, *parse_rfc3339_millis("2026-12-06T17:04:05Z") / 1000);
  EXPECT_FALSE(swsrs->can_refresh()) << "no token endpoint recorded";
  auto forever = parse_cached_credentials(R"({"access_token":"AT","expiry":"0001-01-01T00:00:00Z"})");
  ASSERT_TRUE(forever);
  EXPECT_FALSE(forever->expiry_unix);
  EXPECT_TRUE(forever->fresh_at(4'000'000'000, 30));
}

TEST(CachedCredentials, RefusesFilesItCannotUse) {
  EXPECT_FALSE(parse_cached_credentials("not json"));
  auto empty = parse_cached_credentials("{}");
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("neither"), std::string::npos);
  EXPECT_FALSE(parse_cached_credentials(R"({"access_token":5})"));
  EXPECT_FALSE(parse_cached_credentials(R"({"access_token":"a","expiry":"tomorrow"})"));
  auto command = parse_cached_credentials(R"({"token_command":"cloudflared access token","token_header":"cf-access-token"})");
  ASSERT_TRUE(command);
  EXPECT_TRUE(command->is_command());
}

TEST(CachedCredentials, AGrantKeepsTheOldRefreshTokenWhenNoNewOneComes) {
  TokenGrant grant;
  grant.access_token = "AT2";
  grant.expires_in = 300;
  LoginEndpoints e;
  e.issuer = "https://idp";
  e.token_endpoint = "https://idp/token";
  e.client_id = "cli";
  const auto c = credentials_from_grant(grant, 1000, e, "ws://relay:80", "RT1");
  EXPECT_EQ(c.refresh_token, "RT1");
  EXPECT_EQ(c.expiry_unix, 1300);
  EXPECT_EQ(c.client_id, "cli");
  grant.refresh_token = "RT2";
  EXPECT_EQ(credentials_from_grant(grant, 1000, e, "", "RT1").refresh_token, "RT2");
}

}  // namespace
}  // namespace sshrelay
