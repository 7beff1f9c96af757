// proxy-call's cache in virtual time: fresh for the ttl, per exact URL, 5xx not kept, bounded in bytes.
#include <gtest/gtest.h>

#include "core/sshweb/proxy_cache.hpp"

namespace sshrelay::sshweb {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<const UpstreamResponse> answer(unsigned status, std::string body) {
  return std::make_shared<const UpstreamResponse>(UpstreamResponse{status, "X", {{"Content-Type", "text/plain"}}, std::move(body)});
}

TEST(SshWebProxyCache, ReadsTtlsAsDurationsOrDays) {
  EXPECT_EQ(*parse_proxy_ttl(""), 24h);
  EXPECT_EQ(*parse_proxy_ttl("30s"), 30s);
  EXPECT_EQ(*parse_proxy_ttl("5m"), 5min);
  EXPECT_EQ(*parse_proxy_ttl("1h30m"), 90min);
  EXPECT_EQ(*parse_proxy_ttl("24h"), 24h);
  EXPECT_EQ(*parse_proxy_ttl("7d"), 7 * 24h);
  EXPECT_EQ(*parse_proxy_ttl("0s"), 0s);
  for (const char* bad : {"forever", "10", "1w", "d", "-5m", "400d", "1.5d"}) {
    auto ttl = parse_proxy_ttl(bad);
    ASSERT_FALSE(ttl) << bad;
    EXPECT_EQ(ttl.error().message, "ttl '" + std::string(bad) + "' is not a duration (e.g. 30s, 5m, 1h30m, 24h, 7d; at most a year)");
  }
}

TEST(SshWebProxyCache, ServesAnAnswerUntilItsTtlHasPassed) {
  ProxyResponseCache cache(5min, 1 << 20);
  const TimePoint start{};
  EXPECT_EQ(cache.find("https://cdn.example.org/a.js", start), nullptr);
  cache.store("https://cdn.example.org/a.js", answer(200, "a"), start);
  ASSERT_NE(cache.find("https://cdn.example.org/a.js", start + 4min), nullptr);
  EXPECT_EQ(cache.find("https://cdn.example.org/a.js", start + 4min)->body, "a");
  EXPECT_EQ(cache.find("https://cdn.example.org/a.js?v=2", start), nullptr) << "per exact URL";
  EXPECT_EQ(cache.find("https://CDN.example.org/a.js", start), nullptr) << "as the client wrote it";
  EXPECT_EQ(cache.find("https://cdn.example.org/a.js", start + 5min), nullptr);
  EXPECT_EQ(cache.entries(), 0u) << "an expired answer is dropped when asked for";
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(SshWebProxyCache, KeepsRedirectsAndClientErrorsButNotServerErrors) {
  ProxyResponseCache cache(1h, 1 << 20);
  const TimePoint now{};
  cache.store("u302", answer(302, ""), now);
  cache.store("u404", answer(404, "no"), now);
  cache.store("u503", answer(503, "busy"), now);
  EXPECT_NE(cache.find("u302", now), nullptr);
  EXPECT_NE(cache.find("u404", now), nullptr);
  EXPECT_EQ(cache.find("u503", now), nullptr);

  ProxyResponseCache none(0s, 1 << 20);
  none.store("u", answer(200, "x"), now);
  EXPECT_EQ(none.find("u", now), nullptr) << "a zero ttl keeps nothing";
}

TEST(SshWebProxyCache, StaysWithinItsBudgetDroppingExpiredThenOldest) {
  ProxyResponseCache cache(10min, 1000);
  const TimePoint start{};
  cache.store("a", answer(200, std::string(300, 'a')), start);
  cache.store("b", answer(200, std::string(300, 'b')), start + 1min);
  cache.store("c", answer(200, std::string(300, 'c')), start + 2min);
  EXPECT_EQ(cache.entries(), 3u);
  cache.store("d", answer(200, std::string(300, 'd')), start + 3min);
  EXPECT_LE(cache.bytes(), 1000u);
  EXPECT_EQ(cache.find("a", start + 3min), nullptr) << "the oldest went";
  EXPECT_NE(cache.find("b", start + 3min), nullptr);
  EXPECT_NE(cache.find("d", start + 3min), nullptr);

  cache.store("e", answer(200, std::string(300, 'e')), start + 11min + 30s);  // b has expired by now
  EXPECT_EQ(cache.find("b", start + 11min + 30s), nullptr);
  EXPECT_NE(cache.find("d", start + 11min + 30s), nullptr) << "an expired answer goes before a fresh one";
  EXPECT_NE(cache.find("e", start + 11min + 30s), nullptr);

  cache.store("huge", answer(200, std::string(2000, 'h')), start + 12min);
  EXPECT_EQ(cache.find("huge", start + 12min), nullptr) << "larger than the whole budget: not kept";
  EXPECT_NE(cache.find("e", start + 12min), nullptr) << "and nothing else was dropped for it";

  cache.store("e", answer(200, "new"), start + 13min);
  EXPECT_EQ(cache.find("e", start + 13min)->body, "new") << "a fresh fetch replaces the old answer";
}

}  // namespace
}  // namespace sshrelay::sshweb
