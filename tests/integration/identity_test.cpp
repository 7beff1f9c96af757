// The Authenticator against a real HTTPS identity provider: tests/fixtures/token_authority (node + npm
// `jose`) serves the JWKS and OIDC discovery over TLS with a throwaway certificate and mints the tokens.
// Every rejection class of the identity issue is tried, a valid token is accepted, keys rotate mid-run,
// and the JWKS endpoint is down (503, or nothing listening) at startup.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/beast/http.hpp>
#include <cstdio>
#include <ctime>
#include <future>

#include "native/daemon/identity/authenticator.hpp"
#include "native/daemon/log.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/token_authority.hpp"
#include "tests/support/files.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::itest {
namespace {

namespace http = boost::beast::http;
using daemon::identity::Authenticator;
using daemon::identity::IdentityConfig;
using daemon::identity::Principal;
using nlohmann::json;

constexpr const char* kTeam = "test-team";
constexpr const char* kCfIssuer = "https://test-team.cloudflareaccess.com";
constexpr const char* kAud = "0123456789abcdef-aud-tag";

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

http::request_header<> request(const std::vector<std::pair<std::string, std::string>>& headers,
                               const std::string& target = "/v4/connect?host=db&port=22") {
  http::request_header<> req;
  req.method(http::verb::get);
  req.target(target);
  for (const auto& [name, value] : headers) req.insert(name, value);
  return req;
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

json patched(json document, const json& patch) {
  document.merge_patch(patch);
  return document;
}

// Redirects this process's stderr (where the daemon's log goes) to a file while alive.
class StderrCapture {
 public:
  explicit StderrCapture(std::string path) : path_(std::move(path)) {
    std::fflush(stderr);
    saved_ = ::dup(2);
    std::FILE* f = std::fopen(path_.c_str(), "w");
    ::dup2(::fileno(f), 2);
    std::fclose(f);
  }
  ~StderrCapture() { restore(); }
  std::string text() {
    restore();
    return testing::read_file(path_);
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  std::string path_;
  int saved_ = -1;
};

class IdentityTest : public ::testing::Test {
 protected:
  IdentityConfig cloudflare() const {
    IdentityConfig c;
    c.provider = "cloudflare-access";
    c.team_domain = kTeam;
    c.audiences = {kAud};
    c.jwks_url = authority_.jwks_url();  // instead of https://test-team.cloudflareaccess.com/cdn-cgi/access/certs
    c.ca_file = authority_.ca_file();
    return c;
  }

  IdentityConfig oidc() const {
    IdentityConfig c;
    c.provider = "oidc";
    c.issuer = authority_.origin();  // discovery: <issuer>/.well-known/openid-configuration
    c.audiences = {"relay"};
    c.cookie_name = "__session";
    c.query_param = "token";
    c.ca_file = authority_.ca_file();
    return c;
  }

  json cf_claims(const json& patch = json::object()) const {
    const auto now = unix_now();
    json claims = {{"iss", kCfIssuer}, {"aud", json::array({kAud})}, {"exp", now + 300}, {"iat", now}, {"nbf", now},
                   {"email", "alice@example.com"}, {"sub", "7335d417-61da-459d-899c-0a01c76a2f94"}, {"type", "app"},
                   {"identity_nonce", "6ei69kawdKzMIAPF"}, {"country", "US"}};
    claims.merge_patch(patch);
    return claims;
  }

  Authenticator& start(IdentityConfig config) {
    auth_ = std::make_unique<Authenticator>(io_.ioc(), std::move(config));
    auth_->start();
    return *auth_;
  }

  Result<Principal> authenticate(const http::request_header<>& req) {
    auto promise = std::make_shared<std::promise<Result<Principal>>>();
    auto future = promise->get_future();
    auth_->async_authenticate(req, [promise](Result<Principal> result) { promise->set_value(std::move(result)); });
    if (future.wait_for(120s) != std::future_status::ready) {
      ADD_FAILURE() << "no answer within 120 s";
      return local_error("timeout");
    }
    return future.get();
  }

  Result<Principal> with_header(const std::string& token) {
    return authenticate(request({{"Cf-Access-Jwt-Assertion", token}}));
  }

  // Refused, with a reason that contains `expected` and no part of the token.
  void expect_refused(const std::string& token, const Result<Principal>& result, std::string_view expected) {
    ASSERT_FALSE(result.ok()) << "accepted as " << result->name << "; expected a refusal for " << expected;
    const auto& message = result.error().message;
    EXPECT_TRUE(contains(message, expected)) << "expected \"" << expected << "\" in: " << message;
    for (std::size_t at = 0; at + 12 <= token.size(); at += 12) {
      ASSERT_FALSE(contains(message, token.substr(at, 12))) << "the reason quotes the token: " << message;
    }
  }

  std::uint64_t jwks_requests() { return authority_.stats().at("jwks_requests").get<std::uint64_t>(); }

  // Polls until the authority has served `n` JWKS requests (the startup fetch is asynchronous).
  bool wait_for_jwks_requests(std::uint64_t n) {
    return wait_until([&] { return jwks_requests() >= n; }, 60s);
  }

  TokenAuthority authority_;
  IoThread io_;
  std::unique_ptr<Authenticator> auth_;  // after io_: destroyed first
};

TEST_F(IdentityTest, CloudflareAcceptsAJoseSignedTokenFromTheHeaderOrTheCookie) {
  start(cloudflare());
  const auto token = authority_.mint({{"alg", "RS256"}, {"claims", cf_claims()}});
  auto principal = with_header(token);
  ASSERT_TRUE(principal.ok()) << principal.error().message << "\n" << authority_.log_tail();
  EXPECT_EQ(principal->name, "alice@example.com");
  EXPECT_EQ(principal->source, "header Cf-Access-Jwt-Assertion");
  EXPECT_EQ(principal->claims["country"], "US");

  // The extension cannot add headers: the CF_Authorization cookie carries the same token.
  auto cookie = authenticate(request({{"Cookie", "theme=dark; CF_Authorization=" + token}}));
  ASSERT_TRUE(cookie.ok()) << cookie.error().message;
  EXPECT_EQ(cookie->source, "cookie CF_Authorization");

  auto by_sub = with_header(authority_.mint({{"alg", "RS256"}, {"claims", cf_claims({{"email", nullptr}})}}));
  ASSERT_TRUE(by_sub.ok()) << by_sub.error().message;
  EXPECT_EQ(by_sub->name, "7335d417-61da-459d-899c-0a01c76a2f94");

  // Keys are cached: one fetch at startup served all of these.
  EXPECT_EQ(jwks_requests(), 1U);
}

TEST_F(IdentityTest, CloudflareRefusesEveryRejectionClass) {
  start(cloudflare());
  const auto now = unix_now();
  struct Case {
    const char* name;
    json mint;  // empty: use `token`
    std::string token;
    const char* expected;
  };
  const auto rs256 = [&](const json& patch) { return json{{"alg", "RS256"}, {"claims", cf_claims(patch)}}; };
  const std::vector<Case> cases = {
      {"alg none", {{"alg", "none"}, {"claims", cf_claims()}}, "", "alg \"none\""},
      {"HS256 with the public key as secret", {{"alg", "HS256"}, {"claims", cf_claims()}}, "", "HMAC"},
      {"alg other than the provider's", {{"alg", "ES256"}, {"claims", cf_claims()}}, "", "alg ES256 is not one cloudflare-access uses"},
      {"alg not matching the key", {{"alg", "RS256"}, {"kid", "ec-1"}, {"claims", cf_claims()}}, "", "alg RS256 does not fit EC key \"ec-1\""},
      {"bad signature", {{"alg", "RS256"}, {"key", "rogue-rsa"}, {"kid", "rsa-1"}, {"claims", cf_claims()}}, "", "does not verify"},
      {"expired", rs256({{"exp", now - 3600}, {"iat", now - 7200}, {"nbf", now - 7200}}), "", "expired"},
      {"no exp", rs256({{"exp", nullptr}}), "", "no \"exp\""},
      {"nbf in the future", rs256({{"nbf", now + 3600}}), "", "nbf"},
      {"iat in the future", rs256({{"iat", now + 3600}}), "", "iat"},
      {"wrong aud", rs256({{"aud", json::array({"another-application"})}}), "", "aud \"another-application\""},
      {"wrong iss", rs256({{"iss", "https://evil-team.cloudflareaccess.com"}}), "", "iss \"https://evil-team.cloudflareaccess.com\""},
      {"oversized", rs256({{"padding", std::string(20000, 'p')}}), "", "limit"},
      {"malformed: two segments", json(), "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0", "expected 3 segments"},
      {"malformed: not base64url", json(), "eyJhbGciOiJSUzI1NiJ9.e30=.c2ln", "not base64url"},
      {"malformed: header not JSON", json(), "bm90IGpzb24.e30.c2ln", "header is not valid JSON"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string token = c.mint.is_null() ? c.token : authority_.mint(c.mint);
    expect_refused(token, with_header(token), c.expected);
  }
  expect_refused("", authenticate(request({})), "no identity token");
  // Two different tokens in the header: refused, not guessed.
  const auto good = authority_.mint(rs256(json::object()));
  expect_refused(good, authenticate(request({{"Cf-Access-Jwt-Assertion", good}, {"Cf-Access-Jwt-Assertion", good + "x"}})),
                 "appears 2 times");
  // None of these needed a JWKS refresh: claims are checked first and every kid was known.
  EXPECT_EQ(jwks_requests(), 1U);
}

TEST_F(IdentityTest, UnknownKidIsRefusedAfterOneRateLimitedRefresh) {
  start(cloudflare());
  ASSERT_TRUE(with_header(authority_.mint({{"alg", "RS256"}, {"claims", cf_claims()}})).ok());
  const auto before = jwks_requests();
  const auto forged = authority_.mint({{"alg", "RS256"}, {"kid", "no-such-kid"}, {"claims", cf_claims()}});
  expect_refused(forged, with_header(forged), "unknown kid \"no-such-kid\" (not in the JWKS after a refresh)");
  EXPECT_EQ(jwks_requests(), before + 1);
  // A flood of unknown kids right after: answered from the cache, no more fetches for 30 s.
  for (int i = 0; i < 20; ++i) {
    const auto token = authority_.mint({{"alg", "RS256"}, {"kid", "forged-" + std::to_string(i)}, {"claims", cf_claims()}});
    expect_refused(token, with_header(token), "rate-limited");
  }
  EXPECT_EQ(jwks_requests(), before + 1);
  // A token without a kid when the set holds two keys.
  const auto no_kid = authority_.mint({{"alg", "RS256"}, {"kid", nullptr}, {"claims", cf_claims()}});
  expect_refused(no_kid, with_header(no_kid), "token has no kid");
}

TEST_F(IdentityTest, KeyRotationMidRun) {
  start(cloudflare());
  const auto old_token = authority_.mint({{"alg", "RS256"}, {"claims", cf_claims()}});
  auto before = with_header(old_token);
  ASSERT_TRUE(before.ok()) << before.error().message;
  EXPECT_EQ(jwks_requests(), 1U);

  EXPECT_EQ(authority_.rotate(), json::array({"rsa-2", "ec-2"}));
  // A token with the new kid triggers a refresh at once and is accepted.
  const auto new_token = authority_.mint({{"alg", "RS256"}, {"claims", cf_claims({{"email", "bob@example.com"}})}});
  auto after = with_header(new_token);
  ASSERT_TRUE(after.ok()) << after.error().message << "\n" << authority_.log_tail();
  EXPECT_EQ(after->name, "bob@example.com");
  EXPECT_EQ(jwks_requests(), 2U);
  // The refresh dropped the retired key: the old token, still unexpired, no longer verifies.
  expect_refused(old_token, with_header(old_token), "unknown kid \"rsa-1\"");
  // Tokens from the new keys keep working without further fetches.
  EXPECT_TRUE(with_header(authority_.mint({{"alg", "RS256"}, {"claims", cf_claims()}})).ok());
  EXPECT_EQ(jwks_requests(), 2U);
}

TEST_F(IdentityTest, JwksDownAtStartupFailsClosedThenRecovers) {
  authority_.down();
  auto config = cloudflare();
  config.refresh_min_interval = 1s;
  testing::TempDir scratch("sshrelay-identity-log");
  StderrCapture capture(scratch.file("stderr.log"));
  start(config);  // must not throw or block
  ASSERT_TRUE(wait_for_jwks_requests(1));
  const auto token = authority_.mint({{"alg", "RS256"}, {"claims", cf_claims()}});
  auto refused = with_header(token);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::local);  // the relay could not check, not the client's fault
  EXPECT_TRUE(contains(refused.error().message, "JWKS unavailable")) << refused.error().message;
  EXPECT_TRUE(contains(refused.error().message, "HTTP 503")) << refused.error().message;

  authority_.up();
  Result<Principal> accepted = local_error("not tried");
  ASSERT_TRUE(wait_until(
      [&] {
        accepted = with_header(token);
        return accepted.ok();
      },
      120s))
      << accepted.error().message;
  EXPECT_EQ(accepted->name, "alice@example.com");
  const auto log = capture.text();
  EXPECT_TRUE(contains(log, "cloudflare-access JWKS fetch failed: " + authority_.jwks_url() + ": HTTP 503")) << log;
  EXPECT_TRUE(contains(log, "no keys yet")) << log;
  EXPECT_TRUE(contains(log, "2 keys (\"rsa-1\" RSA RS256, \"ec-1\" EC ES256)")) << log;
  EXPECT_FALSE(contains(log, token.substr(0, 20))) << log;
}

TEST_F(IdentityTest, NothingListeningAtTheJwksUrl) {
  auto config = cloudflare();
  config.jwks_url = "https://127.0.0.1:" + std::to_string(testing::pick_free_loopback_port()) + "/jwks";
  start(config);
  const auto token = authority_.mint({{"alg", "RS256"}, {"claims", cf_claims()}});
  auto refused = with_header(token);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(contains(refused.error().message, "JWKS unavailable")) << refused.error().message;
  EXPECT_TRUE(contains(refused.error().message, "connect")) << refused.error().message;
}

TEST_F(IdentityTest, TheJwksServerCertificateIsVerified) {
  auto config = cloudflare();
  config.ca_file.clear();  // the throwaway certificate is in no system store
  start(config);
  const auto token = authority_.mint({{"alg", "RS256"}, {"claims", cf_claims()}});
  auto refused = with_header(token);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(contains(refused.error().message, "TLS handshake")) << refused.error().message;
  EXPECT_EQ(jwks_requests(), 0U);  // the request was never sent
}

TEST_F(IdentityTest, OidcWithDiscoveryTakesBearerCookieOrQuery) {
  start(oidc());
  const auto claims = json{{"iss", authority_.origin()}, {"aud", "relay"}, {"sub", "user_2NNEqL2nrIRdJ194ndJqAHwEfxC"},
                           {"exp", unix_now() + 60}, {"iat", unix_now()}, {"azp", "https://app.example.com"}};
  for (const char* alg : {"RS256", "ES256"}) {
    SCOPED_TRACE(alg);
    const auto token = authority_.mint({{"alg", alg}, {"claims", claims}});
    auto bearer = authenticate(request({{"Authorization", "Bearer " + token}}));
    ASSERT_TRUE(bearer.ok()) << bearer.error().message << "\n" << authority_.log_tail();
    EXPECT_EQ(bearer->name, "user_2NNEqL2nrIRdJ194ndJqAHwEfxC");
    EXPECT_TRUE(authenticate(request({{"Cookie", "__session=" + token}})).ok());
    auto query = authenticate(request({}, "/relay?host=db&port=22&token=" + token));
    ASSERT_TRUE(query.ok()) << query.error().message;
    EXPECT_EQ(query->source, "query parameter token");
  }
  EXPECT_GE(authority_.stats().at("discovery_requests").get<int>(), 1);

  // alg and key type disagree, both ways.
  const auto es_with_rsa_kid = authority_.mint({{"alg", "ES256"}, {"kid", "rsa-1"}, {"claims", claims}});
  expect_refused(es_with_rsa_kid, authenticate(request({{"Authorization", "Bearer " + es_with_rsa_kid}})),
                 "alg ES256 does not fit RSA key \"rsa-1\"");
  const auto rs_with_ec_kid = authority_.mint({{"alg", "RS256"}, {"kid", "ec-1"}, {"claims", claims}});
  expect_refused(rs_with_ec_kid, authenticate(request({{"Authorization", "Bearer " + rs_with_ec_kid}})),
                 "alg RS256 does not fit EC key \"ec-1\"");
  const auto rogue_ec = authority_.mint({{"alg", "ES256"}, {"key", "rogue-ec"}, {"kid", "ec-1"}, {"claims", claims}});
  expect_refused(rogue_ec, authenticate(request({{"Authorization", "Bearer " + rogue_ec}})), "does not verify");
  const auto other_iss = authority_.mint({{"alg", "ES256"}, {"claims", patched(claims, {{"iss", "https://127.0.0.1"}})}});
  expect_refused(other_iss, authenticate(request({{"Authorization", "Bearer " + other_iss}})), "iss \"https://127.0.0.1\"");
  const auto other_aud = authority_.mint({{"alg", "ES256"}, {"claims", patched(claims, {{"aud", "another"}})}});
  expect_refused(other_aud, authenticate(request({{"Authorization", "Bearer " + other_aud}})), "aud \"another\"");
}

TEST_F(IdentityTest, OidcDiscoveryNamingAnotherIssuerIsRefused) {
  authority_.set_discovery({{"issuer", "https://evil.example.com"}});
  start(oidc());
  const auto token = authority_.mint(
      {{"alg", "RS256"}, {"claims", {{"iss", authority_.origin()}, {"aud", "relay"}, {"sub", "u"}, {"exp", unix_now() + 60}}}});
  auto refused = authenticate(request({{"Authorization", "Bearer " + token}}));
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(contains(refused.error().message, "OIDC discovery")) << refused.error().message;
  EXPECT_TRUE(contains(refused.error().message, "evil.example.com")) << refused.error().message;
  EXPECT_EQ(jwks_requests(), 0U);
}

TEST_F(IdentityTest, GcpIapAcceptsEs256FromItsHeaderOnly) {
  IdentityConfig config;
  config.provider = "gcp-iap";
  config.audiences = {"/projects/123456789/global/backendServices/987654321"};
  config.jwks_url = authority_.jwks_url();  // instead of https://www.gstatic.com/iap/verify/public_key-jwk
  config.ca_file = authority_.ca_file();
  start(config);
  const auto now = unix_now();
  const json claims = {{"iss", "https://cloud.google.com/iap"}, {"aud", config.audiences.front()},
                       {"email", "carol@example.com"}, {"sub", "accounts.google.com:1234"}, {"exp", now + 600},
                       {"iat", now}, {"hd", "example.com"}};
  const auto token = authority_.mint({{"alg", "ES256"}, {"claims", claims}});
  auto principal = authenticate(request({{"x-goog-iap-jwt-assertion", token}}));
  ASSERT_TRUE(principal.ok()) << principal.error().message;
  EXPECT_EQ(principal->name, "carol@example.com");
  const auto rs = authority_.mint({{"alg", "RS256"}, {"claims", claims}});
  expect_refused(rs, authenticate(request({{"x-goog-iap-jwt-assertion", rs}})), "alg RS256 is not one gcp-iap uses");
  expect_refused(token, authenticate(request({{"Authorization", "Bearer " + token}})), "no identity token");
  const auto wrong_iss = authority_.mint({{"alg", "ES256"}, {"claims", patched(claims, {{"iss", "https://accounts.google.com"}})}});
  expect_refused(wrong_iss, authenticate(request({{"x-goog-iap-jwt-assertion", wrong_iss}})), "iss \"https://accounts.google.com\"");
}

TEST_F(IdentityTest, NoLogLineEverHoldsAToken) {
  testing::TempDir scratch("sshrelay-identity-log");
  daemon::set_log_level(daemon::LogLevel::debug);
  std::vector<std::string> tokens;
  {
    StderrCapture capture(scratch.file("stderr.log"));
    start(cloudflare());
    for (const json& request_body : {json{{"alg", "RS256"}, {"claims", cf_claims()}},
                                     json{{"alg", "RS256"}, {"kid", "unknown"}, {"claims", cf_claims()}},
                                     json{{"alg", "RS256"}, {"claims", cf_claims({{"exp", unix_now() - 999}})}},
                                     json{{"alg", "none"}, {"claims", cf_claims()}},
                                     json{{"alg", "HS256"}, {"claims", cf_claims()}}}) {
      tokens.push_back(authority_.mint(request_body));
      (void)with_header(tokens.back());
      (void)authenticate(request({{"Cookie", "CF_Authorization=" + tokens.back()}}));
    }
    const auto log = capture.text();
    for (const auto& token : tokens) {
      for (std::size_t at = 0; at + 12 <= token.size(); at += 12) {
        ASSERT_FALSE(contains(log, token.substr(at, 12))) << "a log line holds a token:\n" << log;
      }
    }
    EXPECT_TRUE(contains(log, "cloudflare-access JWKS")) << log;  // the log was captured at all
  }
  daemon::set_log_level(daemon::LogLevel::info);
}

}  // namespace
}  // namespace sshrelay::itest
