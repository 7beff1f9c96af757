// Identity settings (validation and provider defaults) and the Authenticator's request path with keys
// installed in its cache (no network). Against a real HTTPS JWKS server and tokens minted by npm `jose`:
// tests/integration/identity_test.cpp.
#include "native/daemon/identity/authenticator.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http.hpp>
#include <future>

#include "tests/native/identity_test_keys.hpp"

namespace sshrelay::daemon::identity {
namespace {

namespace http = boost::beast::http;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr std::int64_t kNow = 1'750'000'000;

IdentityConfig cloudflare() {
  IdentityConfig c;
  c.provider = "cloudflare-access";
  c.team_domain = "myteam";
  c.audiences = {"aud-tag-1"};
  return c;
}

IdentityConfig iap() {
  IdentityConfig c;
  c.provider = "gcp-iap";
  c.audiences = {"/projects/123/global/backendServices/456"};
  return c;
}

IdentityConfig oidc() {
  IdentityConfig c;
  c.provider = "oidc";
  c.issuer = "https://auth.example.com";
  c.audiences = {"relay"};
  return c;
}

std::string invalid(const IdentityConfig& config) {
  auto status = config.validate();
  EXPECT_FALSE(status.ok());
  return status.ok() ? std::string() : status.error().message;
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

TEST(IdentityConfig, EachProviderValidates) {
  EXPECT_TRUE(cloudflare().validate().ok());
  EXPECT_TRUE(iap().validate().ok());
  EXPECT_TRUE(oidc().validate().ok());
  IdentityConfig none;
  none.provider = "none";
  none.upstream_enforces_auth = true;
  EXPECT_TRUE(none.validate().ok());
  none.user_header = "X-Forwarded-Email";
  EXPECT_TRUE(none.validate().ok());
}

TEST(IdentityConfig, ErrorsNameTheSetting) {
  IdentityConfig empty;
  EXPECT_TRUE(contains(invalid(empty), "--identity-provider (RELAY_IDENTITY_PROVIDER): is required"));
  IdentityConfig unknown = cloudflare();
  unknown.provider = "saml";
  EXPECT_TRUE(contains(invalid(unknown), "\"saml\" is not one of"));

  IdentityConfig none;
  none.provider = "none";
  EXPECT_TRUE(contains(invalid(none), "--identity-upstream-enforces-auth"));
  none.upstream_enforces_auth = true;
  none.audiences = {"x"};
  EXPECT_TRUE(contains(invalid(none), "--identity-audience (RELAY_IDENTITY_AUDIENCE): is set, but provider none"));
  none.audiences.clear();
  none.user_header = "Bad Header";
  EXPECT_TRUE(contains(invalid(none), "--identity-user-header"));

  auto cf = cloudflare();
  cf.team_domain.clear();
  EXPECT_TRUE(contains(invalid(cf), "--identity-team-domain (RELAY_IDENTITY_TEAM_DOMAIN): is required"));
  cf = cloudflare();
  cf.audiences.clear();
  EXPECT_TRUE(contains(invalid(cf), "--identity-audience (RELAY_IDENTITY_AUDIENCE): is required"));
  cf = cloudflare();
  cf.team_domain = "bad domain";
  EXPECT_TRUE(contains(invalid(cf), "--identity-team-domain"));
  cf = cloudflare();
  cf.upstream_enforces_auth = true;
  EXPECT_TRUE(contains(invalid(cf), "--identity-upstream-enforces-auth"));
  cf = cloudflare();
  cf.jwks_url = "http://myteam.cloudflareaccess.com/cdn-cgi/access/certs";
  EXPECT_TRUE(contains(invalid(cf), "--identity-jwks-url (RELAY_IDENTITY_JWKS_URL): \"http://"));
  cf = cloudflare();
  cf.leeway = 601s;
  EXPECT_TRUE(contains(invalid(cf), "--identity-leeway-seconds"));
  cf = cloudflare();
  cf.refresh_min_interval = 0s;
  EXPECT_TRUE(contains(invalid(cf), "--identity-jwks-min-refresh-seconds"));
  cf = cloudflare();
  cf.cookie_name = "CF Authorization";
  EXPECT_TRUE(contains(invalid(cf), "--identity-cookie"));
  cf = cloudflare();
  cf.query_param = "to&ken";
  EXPECT_TRUE(contains(invalid(cf), "--identity-query-param"));
  cf = cloudflare();
  cf.ca_file = "/nonexistent/ca.pem";
  EXPECT_TRUE(contains(invalid(cf), "--identity-ca-file"));

  auto gcp = iap();
  gcp.audiences = {"123456"};
  EXPECT_TRUE(contains(invalid(gcp), "is not an IAP audience"));
  auto o = oidc();
  o.issuer.clear();
  EXPECT_TRUE(contains(invalid(o), "--identity-issuer (RELAY_IDENTITY_ISSUER): is required"));
  o = oidc();
  o.team_domain = "x";
  EXPECT_TRUE(contains(invalid(o), "only applies to cloudflare-access"));
}

TEST(IdentityConfig, CloudflareDefaults) {
  for (const char* domain : {"myteam", "myteam.cloudflareaccess.com", "https://MyTeam.cloudflareaccess.com/"}) {
    auto c = cloudflare();
    c.team_domain = domain;
    auto r = resolve_identity(c);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->jwks_url, "https://myteam.cloudflareaccess.com/cdn-cgi/access/certs") << domain;
    EXPECT_EQ(r->rules.issuer, "https://myteam.cloudflareaccess.com") << domain;
    EXPECT_EQ(r->sources.headers, std::vector<std::string>{"Cf-Access-Jwt-Assertion"});
    EXPECT_EQ(r->sources.cookie, "CF_Authorization");
    EXPECT_FALSE(r->sources.bearer);
    EXPECT_EQ(r->sources.query_param, "");
    EXPECT_EQ(r->algorithms, std::vector<JwsAlgorithm>{JwsAlgorithm::rs256});
    EXPECT_EQ(r->rules.audiences, std::vector<std::string>{"aud-tag-1"});
    EXPECT_EQ(r->rules.leeway_seconds, 60);
  }
}

TEST(IdentityConfig, IapAndOidcDefaults) {
  auto gcp = resolve_identity(iap());
  ASSERT_TRUE(gcp.ok());
  EXPECT_EQ(gcp->jwks_url, "https://www.gstatic.com/iap/verify/public_key-jwk");
  EXPECT_EQ(gcp->rules.issuer, "https://cloud.google.com/iap");
  EXPECT_EQ(gcp->sources.headers, std::vector<std::string>{"x-goog-iap-jwt-assertion"});
  EXPECT_EQ(gcp->sources.cookie, "");
  EXPECT_EQ(gcp->algorithms, std::vector<JwsAlgorithm>{JwsAlgorithm::es256});

  auto o = oidc();
  o.cookie_name = "__session";
  o.query_param = "token";
  auto r = resolve_identity(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->jwks_url, "");  // discovery
  EXPECT_TRUE(r->sources.bearer);
  EXPECT_EQ(r->sources.cookie, "__session");
  EXPECT_EQ(r->sources.query_param, "token");
  EXPECT_EQ(r->algorithms.size(), 5U);
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  // Runs the io_context until `done` is called.
  Result<Principal> authenticate(Authenticator& auth, const http::request_header<>& req) {
    std::promise<Result<Principal>> promise;
    auto future = promise.get_future();
    bool returned = false;
    auth.async_authenticate(req, [&](Result<Principal> result) {
      EXPECT_TRUE(returned) << "done ran inside async_authenticate";
      promise.set_value(std::move(result));
    });
    returned = true;
    ioc_.restart();
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (future.wait_for(0s) != std::future_status::ready && std::chrono::steady_clock::now() < deadline) {
      ioc_.run_one_for(100ms);
    }
    EXPECT_EQ(future.wait_for(0s), std::future_status::ready);
    return future.get();
  }

  std::unique_ptr<Authenticator> make(IdentityConfig config) {
    auto auth = std::make_unique<Authenticator>(ioc_, std::move(config));
    auth->set_clock_for_testing([] { return kNow; });
    return auth;
  }

  static http::request_header<> request(std::vector<std::pair<std::string, std::string>> headers,
                                        std::string target = "/v4/connect?host=h&port=22") {
    http::request_header<> req;
    req.method(http::verb::get);
    req.target(target);
    for (auto& [name, value] : headers) req.insert(name, value);
    return req;
  }

  json claims(json extra = json::object()) const {
    json c = {{"iss", "https://myteam.cloudflareaccess.com"}, {"aud", json::array({"aud-tag-1"})},
              {"exp", kNow + 600}, {"iat", kNow - 5}, {"nbf", kNow - 5},
              {"email", "alice@example.com"}, {"sub", "0b0b"}, {"type", "app"}};
    c.merge_patch(extra);
    return c;
  }

  std::string rs256(const json& c, const std::string& kid = "cf-1") {
    return testkeys::make_token(rsa_.get(), {{"alg", "RS256"}, {"kid", kid}, {"typ", "JWT"}}, c);
  }

  std::unique_ptr<Authenticator> cloudflare_with_keys() {
    auto auth = make(cloudflare());
    auto installed = auth->jwks()->install(testkeys::jwks_of({testkeys::public_jwk(rsa_.get(), "cf-1", "RS256"),
                                                              testkeys::public_jwk(ec_.get(), "ec-1")}));
    EXPECT_TRUE(installed.ok());
    return auth;
  }

  // The reason a request was refused, checked to hold no part of the token.
  std::string refused(Authenticator& auth, const http::request_header<>& req, const std::string& token) {
    auto result = authenticate(auth, req);
    EXPECT_FALSE(result.ok()) << "accepted as " << result->name;
    if (result.ok()) return {};
    const auto& message = result.error().message;
    for (std::size_t at = 0; at + 16 <= token.size(); at += 16) {
      EXPECT_EQ(message.find(token.substr(at, 16)), std::string::npos) << "the reason quotes the token: " << message;
    }
    return message;
  }

  boost::asio::io_context ioc_;
  testkeys::Pkey rsa_ = testkeys::rsa_key();
  testkeys::Pkey ec_ = testkeys::ec_key();
};

TEST_F(AuthenticatorTest, NoneIsAnonymousOrTheProxyHeader) {
  IdentityConfig none;
  none.provider = "none";
  none.upstream_enforces_auth = true;
  auto anonymous = make(none);
  EXPECT_EQ(anonymous->jwks(), nullptr);
  auto who = authenticate(*anonymous, request({}));
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->name, "anonymous");

  none.user_header = "X-Forwarded-Email";
  auto proxied = make(none);
  who = authenticate(*proxied, request({{"x-forwarded-email", "bob@example.com"}}));
  ASSERT_TRUE(who.ok()) << who.error().message;
  EXPECT_EQ(who->name, "bob@example.com");
  EXPECT_EQ(who->source, "header X-Forwarded-Email");
  auto missing = authenticate(*proxied, request({}));
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(contains(missing.error().message, "no X-Forwarded-Email header"));
  EXPECT_FALSE(authenticate(*proxied, request({{"X-Forwarded-Email", "a\x01"}})).ok());
}

TEST_F(AuthenticatorTest, AcceptsAValidCloudflareTokenFromTheHeaderOrTheCookie) {
  auto auth = cloudflare_with_keys();
  const auto token = rs256(claims());
  auto header = authenticate(*auth, request({{"Cf-Access-Jwt-Assertion", token}}));
  ASSERT_TRUE(header.ok()) << header.error().message;
  EXPECT_EQ(header->name, "alice@example.com");
  EXPECT_EQ(header->source, "header Cf-Access-Jwt-Assertion");
  EXPECT_EQ(header->claims["type"], "app");
  auto cookie = authenticate(*auth, request({{"Cookie", "a=b; CF_Authorization=" + token}}));
  ASSERT_TRUE(cookie.ok()) << cookie.error().message;
  EXPECT_EQ(cookie->source, "cookie CF_Authorization");
  auto by_sub = authenticate(*auth, request({{"Cf-Access-Jwt-Assertion", rs256(claims({{"email", nullptr}}))}}));
  ASSERT_TRUE(by_sub.ok()) << by_sub.error().message;
  EXPECT_EQ(by_sub->name, "0b0b");
}

TEST_F(AuthenticatorTest, RefusesEveryBadTokenWithoutQuotingIt) {
  auto auth = cloudflare_with_keys();
  const auto in_header = [](const std::string& token) { return request({{"Cf-Access-Jwt-Assertion", token}}); };
  struct Case {
    std::string token;
    std::string expected;
  };
  const std::string good = rs256(claims());
  const auto dot = good.rfind('.');
  auto other_rsa = testkeys::rsa_key();
  std::vector<Case> cases = {
      {rs256(claims({{"exp", kNow - 61}})), "expired"},
      {rs256(claims({{"nbf", kNow + 120}})), "nbf"},
      {rs256(claims({{"iat", kNow + 120}})), "iat"},
      {rs256(claims({{"aud", "another-app"}})), "aud \"another-app\""},
      {rs256(claims({{"iss", "https://evil.cloudflareaccess.com"}})), "iss \"https://evil.cloudflareaccess.com\""},
      {rs256(claims({{"exp", nullptr}})), "no \"exp\""},
      {rs256(claims(), "unknown-kid"), "unknown kid \"unknown-kid\""},
      {good.substr(0, dot + 1) + good.substr(dot + 2) + "A", "does not verify"},  // signature bytes changed
      {testkeys::make_token(other_rsa.get(), {{"alg", "RS256"}, {"kid", "cf-1"}}, claims()), "does not verify"},
      {testkeys::make_token(ec_.get(), {{"alg", "ES256"}, {"kid", "ec-1"}}, claims()), "alg ES256 is not one cloudflare-access uses"},
      {good.substr(0, good.find('.')) + ".e30." + good.substr(dot + 1), "no \"exp\""},  // payload swapped for {}
      {"garbage", "expected 3 segments"},
      {std::string(kMaxJwtBytes + 1, 'a'), "limit"},
  };
  for (const auto& c : cases) {
    const auto message = refused(*auth, in_header(c.token), c.token);
    EXPECT_TRUE(contains(message, c.expected)) << "expected \"" << c.expected << "\" in: " << message;
    EXPECT_TRUE(contains(message, "cloudflare-access: ")) << message;
  }
  EXPECT_TRUE(contains(refused(*auth, request({}), ""), "no identity token"));
}

TEST_F(AuthenticatorTest, RefusesNoneAndHmacAttackTokens) {
  auto auth = cloudflare_with_keys();
  const std::string payload = base64url_encode(claims().dump());
  const std::string none = base64url_encode(std::string(R"({"alg":"none","kid":"cf-1"})")) + "." + payload + ".";
  EXPECT_TRUE(contains(refused(*auth, request({{"Cf-Access-Jwt-Assertion", none}}), none), "alg \"none\""));
  // HS256 "signed" with the public key as the secret: the classic key-confusion forgery.
  const std::string hs = base64url_encode(std::string(R"({"alg":"HS256","kid":"cf-1"})")) + "." + payload + "." +
                         base64url_encode(std::string(32, 'x'));
  EXPECT_TRUE(contains(refused(*auth, request({{"Cf-Access-Jwt-Assertion", hs}}), hs), "HMAC"));
}

TEST_F(AuthenticatorTest, LeewayIsConfigurable) {
  auto config = cloudflare();
  config.leeway = 0s;
  auto strict = make(config);
  ASSERT_TRUE(strict->jwks()->install(testkeys::jwks_of({testkeys::public_jwk(rsa_.get(), "cf-1")})).ok());
  const auto token = rs256(claims({{"exp", kNow - 1}}));
  EXPECT_FALSE(authenticate(*strict, request({{"Cf-Access-Jwt-Assertion", token}})).ok());
  auto lenient = cloudflare_with_keys();  // 60 s
  EXPECT_TRUE(authenticate(*lenient, request({{"Cf-Access-Jwt-Assertion", token}})).ok());
}

TEST_F(AuthenticatorTest, OidcTakesBearerCookieOrQuery) {
  auto config = oidc();
  config.jwks_url = "https://auth.example.com/jwks";
  config.cookie_name = "__session";
  config.query_param = "token";
  auto auth = make(config);
  ASSERT_TRUE(auth->jwks()->install(testkeys::jwks_of({testkeys::public_jwk(ec_.get(), "ec-1", "ES256")})).ok());
  const auto token = testkeys::make_token(
      ec_.get(), {{"alg", "ES256"}, {"kid", "ec-1"}},
      claims({{"iss", "https://auth.example.com"}, {"aud", "relay"}, {"email", nullptr}, {"sub", "user_2abc"}}));
  auto bearer = authenticate(*auth, request({{"Authorization", "Bearer " + token}}));
  ASSERT_TRUE(bearer.ok()) << bearer.error().message;
  EXPECT_EQ(bearer->name, "user_2abc");
  EXPECT_TRUE(authenticate(*auth, request({{"Cookie", "__session=" + token}})).ok());
  auto query = authenticate(*auth, request({}, "/relay?host=h&port=22&token=" + token));
  ASSERT_TRUE(query.ok()) << query.error().message;
  EXPECT_EQ(query->source, "query parameter token");
  // The cloudflare header means nothing to an oidc relay.
  EXPECT_FALSE(authenticate(*auth, request({{"Cf-Access-Jwt-Assertion", token}})).ok());
}

TEST_F(AuthenticatorTest, DescribesItselfWithoutSecrets) {
  auto auth = make(cloudflare());
  const auto line = auth->describe();
  EXPECT_TRUE(contains(line, "cloudflare-access")) << line;
  EXPECT_TRUE(contains(line, "header Cf-Access-Jwt-Assertion, cookie CF_Authorization")) << line;
  EXPECT_TRUE(contains(line, "https://myteam.cloudflareaccess.com/cdn-cgi/access/certs")) << line;
  EXPECT_TRUE(contains(line, "\"aud-tag-1\"")) << line;
}

TEST_F(AuthenticatorTest, ABadConfigThrowsTheValidationMessage) {
  IdentityConfig none;
  none.provider = "none";
  try {
    Authenticator auth(ioc_, none);
    FAIL() << "constructed";
  } catch (const std::invalid_argument& e) {
    EXPECT_TRUE(contains(e.what(), "--identity-upstream-enforces-auth")) << e.what();
  }
}

}  // namespace
}  // namespace sshrelay::daemon::identity
