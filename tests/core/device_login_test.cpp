// The device login (RFC 8628) as core plans it: documents in, request bodies out, polling in virtual time.
#include "core/identity/device_login.hpp"

#include <gtest/gtest.h>

namespace sshrelay {
namespace {

using namespace std::chrono_literals;

TEST(LoginConfig, RoundTripsTheRelaysDocument) {
  LoginEndpoints e;
  e.issuer = "https://idp.example.com";
  e.audience = "relay";
  e.client_id = "cli";
  e.scopes = {"swsrs:session:create"};
  e.token_endpoint = "https://idp.example.com/token";
  const auto text = login_config_json(e);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find("device_authorization_endpoint"), std::string::npos) << "empty members are left out";
  auto back = parse_login_config(text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->issuer, e.issuer);
  EXPECT_EQ(back->client_id, "cli");
  EXPECT_EQ(back->scopes, e.scopes);
  EXPECT_EQ(back->token_endpoint, e.token_endpoint);
}

TEST(LoginConfig, RefusesMalformedDocumentsNamingTheMember) {
  EXPECT_FALSE(parse_login_config("[]"));
  auto bad = parse_login_config(R"({"issuer":7})");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("\"issuer\""), std::string::npos) << bad.error().message;
  EXPECT_FALSE(parse_login_config(R"({"scopes":"a b"})"));
  EXPECT_FALSE(parse_login_config(R"({"issuer":"a","issuer":"b"})")) << "duplicate members are refused";
}

TEST(LoginConfig, TheProvidersDiscoveryFillsOnlyWhatIsMissingAndMustNameTheSameIssuer) {
  LoginEndpoints e;
  e.issuer = "https://idp.example.com";
  e.token_endpoint = "https://relay-chosen.example.com/token";
  const std::string discovery = R"({"issuer":"https://idp.example.com",
      "device_authorization_endpoint":"https://idp.example.com/device",
      "token_endpoint":"https://idp.example.com/token"})";
  ASSERT_TRUE(complete_from_oidc_discovery(e, discovery));
  EXPECT_EQ(e.device_authorization_endpoint, "https://idp.example.com/device");
  EXPECT_EQ(e.token_endpoint, "https://relay-chosen.example.com/token");

  LoginEndpoints other;
  other.issuer = "https://idp.example.com/tenant";
  auto refused = complete_from_oidc_discovery(other, discovery);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("names issuer"), std::string::npos) << refused.error().message;
  EXPECT_TRUE(other.device_authorization_endpoint.empty());
}

TEST(LoginConfig, ADeviceLoginNeedsAClientIdAndHttpsEndpoints) {
  LoginEndpoints e;
  e.issuer = "https://idp.example.com";
  auto none = check_device_login(e);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("--token-cmd"), std::string::npos) << none.error().message;
  e.device_authorization_endpoint = "https://idp.example.com/device";
  e.token_endpoint = "https://idp.example.com/token";
  auto no_client = check_device_login(e);
  ASSERT_FALSE(no_client);
  EXPECT_NE(no_client.error().message.find("--client-id"), std::string::npos);
  e.client_id = "cli";
  EXPECT_TRUE(check_device_login(e));
  e.token_endpoint = "http://idp.example.com/token";
  EXPECT_FALSE(check_device_login(e)) << "a token must not travel in clear text";
  e.token_endpoint = "http://127.0.0.1:9000/token";
  EXPECT_TRUE(check_device_login(e)) << "a provider on this machine may speak plain HTTP";
  e.token_endpoint = "http://127.0.0.1.evil.example/token";
  EXPECT_FALSE(check_device_login(e));
}

TEST(DeviceLoginRequests, AreFormEncodedWithTheScopesOnce) {
  LoginEndpoints e;
  e.client_id = "my client&x=1";
  e.scopes = {"openid", "swsrs:session:create"};
  EXPECT_EQ(requested_scope(e), "openid swsrs:session:create offline_access");
  EXPECT_EQ(device_authorization_body(e),
            "client_id=my%20client%26x%3D1&scope=openid%20swsrs%3Asession%3Acreate%20offline_access");
  e.scopes.clear();
  EXPECT_EQ(requested_scope(e), "swsrs:session:create swsrs:session:read swsrs:session:delete openid offline_access");
  EXPECT_EQ(device_token_body("c", "dc"),
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=dc&client_id=c");
  EXPECT_EQ(refresh_token_body("c", "r/t"), "grant_type=refresh_token&refresh_token=r%2Ft&client_id=c");
}

TEST(DeviceAuthorizationAnswer, IsReadWithDefaultsAndLimits) {
  auto ok = parse_device_authorization(200, R"({"device_code":"dc","user_code":"ABCD-EFGH",
      "verification_uri":"https://idp/device","expires_in":600})");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->interval, 5s) << "RFC 8628's default";
  EXPECT_EQ(ok->expires_in, 600s);
  auto google = parse_device_authorization(200, R"({"device_code":"dc","user_code":"U",
      "verification_url":"https://g/device","expires_in":60,"interval":500})");
  ASSERT_TRUE(google);
  EXPECT_EQ(google->verification_uri, "https://g/device");
  EXPECT_EQ(google->interval, 60s) << "an absurd interval is capped";
  EXPECT_FALSE(parse_device_authorization(200, R"({"device_code":"dc","user_code":"U","expires_in":60})"));
  auto refused = parse_device_authorization(400, R"({"error":"invalid_client","error_description":"unknown client"})");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("invalid_client: unknown client"), std::string::npos) << refused.error().message;
  auto html = parse_device_authorization(502, "<html>bad gateway</html>");
  ASSERT_FALSE(html);
  EXPECT_NE(html.error().message.find("HTTP 502"), std::string::npos) << html.error().message;
}

DeviceAuthorization authorization(std::chrono::seconds interval, std::chrono::seconds expires_in) {
  DeviceAuthorization a;
  a.device_code = "dc";
  a.user_code = "U";
  a.verification_uri = "https://idp/device";
  a.interval = interval;
  a.expires_in = expires_in;
  return a;
}

TEST(DevicePoll, WaitsTheIntervalSlowsDownWhenToldAndEndsWithTheGrant) {
  const TimePoint t0{};
  DevicePoll poll(authorization(2s, 60s), t0);
  EXPECT_EQ(poll.next_poll_at(), t0 + 2s);
  auto step = poll.on_answer(400, R"({"error":"authorization_pending"})", t0 + 2s);
  EXPECT_EQ(step.outcome, DevicePoll::Outcome::keep_polling);
  EXPECT_EQ(poll.next_poll_at(), t0 + 4s);
  step = poll.on_answer(400, R"({"error":"slow_down"})", t0 + 4s);
  EXPECT_EQ(step.outcome, DevicePoll::Outcome::keep_polling);
  EXPECT_EQ(poll.interval(), 7s);
  EXPECT_EQ(poll.next_poll_at(), t0 + 11s);
  poll.retry_later(t0 + 11s);
  EXPECT_EQ(poll.next_poll_at(), t0 + 18s);
  step = poll.on_answer(200, R"({"access_token":"AT","refresh_token":"RT","expires_in":3600})", t0 + 18s);
  ASSERT_EQ(step.outcome, DevicePoll::Outcome::granted);
  EXPECT_EQ(step.grant->access_token, "AT");
  EXPECT_EQ(step.grant->token_type, "Bearer");
  EXPECT_EQ(step.grant->expires_in, 3600);
}

TEST(DevicePoll, DenialExpiryAndStrangeAnswersEndIt) {
  const TimePoint t0{};
  {
    DevicePoll poll(authorization(1s, 60s), t0);
    auto step = poll.on_answer(400, R"({"error":"access_denied"})", t0 + 1s);
    EXPECT_EQ(step.outcome, DevicePoll::Outcome::failed);
    EXPECT_NE(step.message.find("denied"), std::string::npos);
  }
  {
    DevicePoll poll(authorization(1s, 60s), t0);
    auto step = poll.on_answer(400, R"({"error":"expired_token"})", t0 + 1s);
    EXPECT_EQ(step.outcome, DevicePoll::Outcome::failed);
    EXPECT_NE(step.message.find("expired"), std::string::npos);
  }
  {
    DevicePoll poll(authorization(5s, 8s), t0);
    EXPECT_FALSE(poll.expired(t0 + 7s));
    EXPECT_TRUE(poll.expired(t0 + 8s));
    auto step = poll.on_answer(400, R"({"error":"authorization_pending"})", t0 + 5s);
    EXPECT_EQ(step.outcome, DevicePoll::Outcome::failed) << "the next poll would be past the code's life";
  }
  {
    DevicePoll poll(authorization(1s, 60s), t0);
    auto step = poll.on_answer(200, R"({"token_type":"Bearer"})", t0 + 1s);
    EXPECT_EQ(step.outcome, DevicePoll::Outcome::failed);
    EXPECT_NE(step.message.find("no access_token"), std::string::npos) << step.message;
  }
}

}  // namespace
}  // namespace sshrelay
