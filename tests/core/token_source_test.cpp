#include "core/identity/token_source.hpp"
#include "tests/core/test_text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sshrelay {
namespace {

TokenSources cloudflare() { return {{"Cf-Access-Jwt-Assertion"}, false, "CF_Authorization", ""}; }
TokenSources oidc() { return {{}, true, "__session", "token"}; }

FoundToken found(const TokenSources& sources, const TokenRequest& request) {
  auto token = find_token(sources, request);
  EXPECT_TRUE(token.ok()) << token.error().message;
  return token.ok() ? std::move(token).value() : FoundToken{};
}

std::string refused(const TokenSources& sources, const TokenRequest& request) {
  auto token = find_token(sources, request);
  EXPECT_FALSE(token.ok()) << "found " << token->where;
  if (token.ok()) return {};
  EXPECT_EQ(token.error().kind, ErrorKind::remote_protocol);
  return token.error().message;
}

using testing::contains;

TEST(CookieHeader, SplitsPairsAsBrowsersSendThem) {
  const auto cookies = parse_cookie_header("a=1; CF_Authorization=eyJ.x.y;b=2 ;  c = 3 ; d=\"quoted\"; e=; flag; =nameless; f=a=b");
  using Pair = std::pair<std::string_view, std::string_view>;
  EXPECT_EQ(cookies, (std::vector<Pair>{{"a", "1"},
                                        {"CF_Authorization", "eyJ.x.y"},
                                        {"b", "2"},
                                        {"c", "3"},
                                        {"d", "quoted"},
                                        {"e", ""},
                                        {"f", "a=b"}}));
  EXPECT_TRUE(parse_cookie_header("").empty());
  EXPECT_TRUE(parse_cookie_header(";;; ;").empty());
}

TEST(TokenSource, CloudflareHeaderWinsOverTheCookie) {
  const TokenRequest request{{{"cookie", "CF_Authorization=from-cookie"}, {"cf-access-jwt-assertion", " from-header "}}, {}};
  const auto token = found(cloudflare(), request);
  EXPECT_EQ(token.token, "from-header");
  EXPECT_EQ(token.origin, TokenOrigin::header);
  EXPECT_EQ(token.where, "header Cf-Access-Jwt-Assertion");
}

TEST(TokenSource, CloudflareCookieWhenTheExtensionCannotSendHeaders) {
  const TokenRequest request{{{"Host", "relay"}, {"Cookie", "other=1; CF_Authorization=from-cookie; x=2"}}, {}};
  const auto token = found(cloudflare(), request);
  EXPECT_EQ(token.token, "from-cookie");
  EXPECT_EQ(token.origin, TokenOrigin::cookie);
  EXPECT_EQ(token.where, "cookie CF_Authorization");
}

TEST(TokenSource, CookieNamesAreCaseSensitive) {
  const TokenRequest request{{{"Cookie", "cf_authorization=x"}}, {}};
  EXPECT_TRUE(contains(refused(cloudflare(), request), "no identity token"));
}

TEST(TokenSource, CookiesAcrossSeveralHeaders) {
  const TokenRequest request{{{"Cookie", "a=1"}, {"Cookie", "CF_Authorization=second-header"}}, {}};
  EXPECT_EQ(found(cloudflare(), request).token, "second-header");
}

TEST(TokenSource, OidcOrderIsBearerThenCookieThenQuery) {
  const TokenRequest all{{{"Cookie", "__session=c"}, {"Authorization", "Bearer b"}}, {{"token", "q"}}};
  EXPECT_EQ(found(oidc(), all).token, "b");
  EXPECT_EQ(found(oidc(), all).origin, TokenOrigin::bearer);
  const TokenRequest cookie_and_query{{{"Cookie", "__session=c"}}, {{"token", "q"}}};
  EXPECT_EQ(found(oidc(), cookie_and_query).token, "c");
  const TokenRequest query{{}, {{"host", "db"}, {"token", "q"}}};
  const auto token = found(oidc(), query);
  EXPECT_EQ(token.token, "q");
  EXPECT_EQ(token.origin, TokenOrigin::query);
  EXPECT_EQ(token.where, "query parameter token");
}

TEST(TokenSource, BearerSchemeIsCaseInsensitiveAndTrimmed) {
  EXPECT_EQ(found(oidc(), {{{"authorization", "bearer   abc.def.ghi  "}}, {}}).token, "abc.def.ghi");
  EXPECT_EQ(found(oidc(), {{{"AUTHORIZATION", "BEARER\tx"}}, {}}).token, "x");
}

TEST(TokenSource, OtherAuthorizationSchemesAreNotTokens) {
  const auto message = refused(oidc(), {{{"Authorization", "Basic dXNlcjpwYXNz"}}, {}});
  EXPECT_TRUE(contains(message, "not of the Bearer scheme")) << message;
  EXPECT_FALSE(contains(message, "dXNlcjpwYXNz"));
  EXPECT_TRUE(contains(refused(oidc(), {{{"Authorization", "Bearer"}}, {}}), "no identity token"));
  EXPECT_TRUE(contains(refused(oidc(), {{{"Authorization", "Bearerx"}}, {}}), "no identity token"));
  // Falls through to the cookie.
  EXPECT_EQ(found(oidc(), {{{"Authorization", "Basic x"}, {"Cookie", "__session=c"}}, {}}).token, "c");
}

TEST(TokenSource, UnconfiguredSourcesAreIgnored) {
  const TokenRequest request{{{"Authorization", "Bearer b"}, {"x-goog-iap-jwt-assertion", "iap"}}, {{"token", "q"}}};
  const auto message = refused(cloudflare(), request);
  EXPECT_EQ(message, "no identity token (looked at header Cf-Access-Jwt-Assertion, cookie CF_Authorization)");
  const TokenSources iap{{"x-goog-iap-jwt-assertion"}, false, "", ""};
  EXPECT_EQ(found(iap, request).token, "iap");
}

TEST(TokenSource, EmptyValuesCountAsAbsent) {
  const TokenRequest request{{{"Cf-Access-Jwt-Assertion", "  "}, {"Cookie", "CF_Authorization=c"}}, {}};
  EXPECT_EQ(found(cloudflare(), request).token, "c");
  EXPECT_FALSE(find_token(cloudflare(), {{{"Cookie", "CF_Authorization="}}, {}}).ok());
}

TEST(TokenSource, ConflictingDuplicatesAreRefusedWithoutQuotingThem) {
  const auto header = refused(cloudflare(), {{{"Cf-Access-Jwt-Assertion", "secret-one"}, {"cf-access-jwt-assertion", "secret-two"}}, {}});
  EXPECT_TRUE(contains(header, "header Cf-Access-Jwt-Assertion appears 2 times with different values")) << header;
  const auto cookie = refused(cloudflare(), {{{"Cookie", "CF_Authorization=secret-one; CF_Authorization=secret-two"}}, {}});
  EXPECT_TRUE(contains(cookie, "cookie CF_Authorization appears 2 times")) << cookie;
  const auto query = refused(oidc(), {{}, {{"token", "secret-one"}, {"token", "secret-two"}}});
  EXPECT_TRUE(contains(query, "query parameter token appears 2 times")) << query;
  const auto bearer = refused(oidc(), {{{"Authorization", "Bearer secret-one"}, {"Authorization", "Bearer secret-two"}}, {}});
  EXPECT_TRUE(contains(bearer, "Authorization: Bearer appears 2 times")) << bearer;
  for (const auto& message : {header, cookie, query, bearer}) EXPECT_FALSE(contains(message, "secret")) << message;
  // Identical repeats are harmless.
  EXPECT_EQ(found(cloudflare(), {{{"Cookie", "CF_Authorization=same"}, {"Cookie", "CF_Authorization=same"}}, {}}).token, "same");
}

TEST(TokenSource, HeadersAreTriedInTheConfiguredOrder) {
  const TokenSources two{{"X-First", "X-Second"}, false, "", ""};
  EXPECT_EQ(found(two, {{{"x-second", "2"}, {"x-first", "1"}}, {}}).token, "1");
  EXPECT_EQ(found(two, {{{"x-second", "2"}}, {}}).token, "2");
}

TEST(TokenSource, DescribesItsSources) {
  EXPECT_EQ(describe(oidc()), "Authorization: Bearer, cookie __session, query parameter token");
  EXPECT_EQ(describe(TokenSources{}), "nowhere (no token source configured)");
  EXPECT_TRUE(contains(refused(TokenSources{}, {{{"Authorization", "Bearer x"}}, {}}), "nowhere"));
}

}  // namespace
}  // namespace sshrelay
