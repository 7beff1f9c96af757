// The key cache without a JWKS server: installed documents, lookups by kid, refusing bad URLs, and a
// provider that cannot be reached. Fetching from a real HTTPS server (refresh on unknown kid, rotation,
// rate limit, discovery) is in tests/integration/identity_test.cpp.
#include "native/daemon/identity/jwks_cache.hpp"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <future>
#include <thread>

#include "tests/native/identity_test_keys.hpp"

namespace sshrelay::daemon::identity {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

JwksCacheOptions options_for(std::string url) {
  JwksCacheOptions options;
  options.jwks_url = std::move(url);
  return options;
}

class JwksCacheTest : public ::testing::Test {
 protected:
  ~JwksCacheTest() override {
    guard_.reset();
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
  }
  void run_io() {
    thread_ = std::thread([this] { ioc_.run(); });
  }
  KeyLookup find(JwksCache& cache, const std::string& kid) {
    std::promise<KeyLookup> promise;
    auto future = promise.get_future();
    cache.async_find(kid, [&promise](KeyLookup lookup) { promise.set_value(std::move(lookup)); });
    if (!thread_.joinable()) {
      const auto deadline = std::chrono::steady_clock::now() + 60s;
      while (future.wait_for(0s) != std::future_status::ready && std::chrono::steady_clock::now() < deadline) {
        ioc_.run_one_for(100ms);
      }
    }
    EXPECT_EQ(future.wait_for(60s), std::future_status::ready);
    return future.get();
  }

  net::io_context ioc_;
  net::executor_work_guard<net::io_context::executor_type> guard_{ioc_.get_executor()};
  std::thread thread_;
  testkeys::Pkey rsa_ = testkeys::rsa_key();
  testkeys::Pkey ec_ = testkeys::ec_key();
};

TEST_F(JwksCacheTest, InstallsAndFindsKeysByKid) {
  auto cache = JwksCache::create(ioc_, options_for("https://idp.example.com/jwks"));
  auto count = cache->install(testkeys::jwks_of({testkeys::public_jwk(rsa_.get(), "r1", "RS256"),
                                                 testkeys::public_jwk(ec_.get(), "e1", "ES256")}));
  ASSERT_TRUE(count.ok()) << count.error().message;
  EXPECT_EQ(*count, 2U);
  ASSERT_TRUE(cache->find("r1"));
  EXPECT_EQ(cache->find("r1")->kty(), "RSA");
  EXPECT_EQ(cache->find("e1")->crv(), "P-256");
  EXPECT_FALSE(cache->find("nope"));
  EXPECT_FALSE(cache->find(""));  // two keys: a token without kid matches none
  EXPECT_EQ(cache->stats().keys, 2U);
}

TEST_F(JwksCacheTest, ATokenWithoutKidMatchesASingleKey) {
  auto cache = JwksCache::create(ioc_, options_for("https://idp.example.com/jwks"));
  ASSERT_TRUE(cache->install(testkeys::jwks_of({testkeys::public_jwk(rsa_.get(), "")})).ok());
  EXPECT_TRUE(cache->find(""));
}

TEST_F(JwksCacheTest, ABadDocumentKeepsTheCurrentKeys) {
  auto cache = JwksCache::create(ioc_, options_for("https://idp.example.com/jwks"));
  ASSERT_TRUE(cache->install(testkeys::jwks_of({testkeys::public_jwk(rsa_.get(), "r1")})).ok());
  EXPECT_FALSE(cache->install("not json").ok());
  EXPECT_FALSE(cache->install(R"({"keys":[]})").ok());
  auto only_unusable = cache->install(R"({"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"}]})");
  ASSERT_FALSE(only_unusable.ok());
  EXPECT_NE(only_unusable.error().message.find("no usable key"), std::string::npos);
  EXPECT_NE(only_unusable.error().message.find("oct"), std::string::npos);
  EXPECT_TRUE(cache->find("r1"));
}

TEST_F(JwksCacheTest, RotationReplacesTheWholeSet) {
  auto cache = JwksCache::create(ioc_, options_for("https://idp.example.com/jwks"));
  ASSERT_TRUE(cache->install(testkeys::jwks_of({testkeys::public_jwk(rsa_.get(), "old")})).ok());
  auto next = testkeys::rsa_key();
  ASSERT_TRUE(cache->install(testkeys::jwks_of({testkeys::public_jwk(next.get(), "new")})).ok());
  EXPECT_FALSE(cache->find("old"));
  EXPECT_TRUE(cache->find("new"));
}

TEST_F(JwksCacheTest, LookupsAreAnsweredAsynchronously) {
  auto cache = JwksCache::create(ioc_, options_for("https://idp.example.com/jwks"));
  ASSERT_TRUE(cache->install(testkeys::jwks_of({testkeys::public_jwk(rsa_.get(), "r1")})).ok());
  bool called = false;
  cache->async_find("r1", [&called](KeyLookup lookup) {
    EXPECT_TRUE(lookup.ok());
    called = true;
  });
  EXPECT_FALSE(called);  // never from within async_find
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!called && std::chrono::steady_clock::now() < deadline) ioc_.run_one_for(100ms);
  EXPECT_TRUE(called);
}

TEST_F(JwksCacheTest, UnknownKidWithoutStartIsRefusedWithoutFetching) {
  auto cache = JwksCache::create(ioc_, options_for("https://127.0.0.1:1/jwks"));
  ASSERT_TRUE(cache->install(testkeys::jwks_of({testkeys::public_jwk(rsa_.get(), "r1")})).ok());
  auto lookup = find(*cache, "forged");
  ASSERT_FALSE(lookup.ok());
  EXPECT_EQ(lookup.error().kind, ErrorKind::remote_protocol);
  EXPECT_NE(lookup.error().message.find("unknown kid \"forged\""), std::string::npos) << lookup.error().message;
  EXPECT_EQ(cache->stats().fetches_failed + cache->stats().fetches_ok, 0U);
}

TEST_F(JwksCacheTest, AnUnreachableProviderFailsClosedAndIsRetried) {
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  auto options = options_for("https://127.0.0.1:1/jwks");
  options.initial_backoff = 50ms;
  options.max_backoff = 200ms;
  options.refresh_min_interval = 1s;
  options.log_name = "test JWKS";
  auto cache = JwksCache::create(ioc_, options);
  run_io();
  cache->start();
  auto lookup = find(*cache, "k1");
  ASSERT_FALSE(lookup.ok());
  EXPECT_EQ(lookup.error().kind, ErrorKind::local);
  EXPECT_NE(lookup.error().message.find("test JWKS unavailable"), std::string::npos) << lookup.error().message;
  EXPECT_NE(lookup.error().message.find("connect"), std::string::npos) << lookup.error().message;
  // Retried with backoff: several failures (within a second when the machine is idle), never a crash or an
  // exception.
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (cache->stats().fetches_failed < 3 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
  EXPECT_GE(cache->stats().fetches_failed, 3U);
  EXPECT_NE(cache->stats().last_error.find("127.0.0.1:1"), std::string::npos) << cache->stats().last_error;
  cache->stop();
}

TEST_F(JwksCacheTest, RefusesUnusableUrls) {
  EXPECT_THROW(JwksCache::create(ioc_, options_for("http://idp.example.com/jwks")), std::invalid_argument);
  EXPECT_THROW(JwksCache::create(ioc_, options_for("https:///jwks")), std::invalid_argument);
  EXPECT_THROW(JwksCache::create(ioc_, options_for("https://user:pw@idp.example.com/jwks")), std::invalid_argument);
  EXPECT_THROW(JwksCache::create(ioc_, {}), std::invalid_argument);
  JwksCacheOptions discovery;
  discovery.issuer = "https://idp.example.com";
  EXPECT_NO_THROW(JwksCache::create(ioc_, discovery));
  auto missing_ca = options_for("https://idp.example.com/jwks");
  missing_ca.ca_file = "/nonexistent/ca.pem";
  EXPECT_THROW(JwksCache::create(ioc_, missing_ca), boost::system::system_error);
}

}  // namespace
}  // namespace sshrelay::daemon::identity
