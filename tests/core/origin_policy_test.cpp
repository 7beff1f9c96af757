#include "core/origin_policy.hpp"

#include <gtest/gtest.h>

namespace sshrelay {
namespace {

TEST(OriginPolicy, AllowsListedOriginsCaseInsensitively) {
  OriginPolicy policy({std::string(kSecureShellOrigin)});
  EXPECT_TRUE(policy.allows("chrome-extension://iodihamcpbpeioajjeobimgagajmlibd", "relay:443"));
  EXPECT_TRUE(policy.allows("CHROME-EXTENSION://IODIHAMCPBPEIOAJJEOBIMGAGAJMLIBD", "relay:443"));
  EXPECT_FALSE(policy.allows("chrome-extension://algkcnfjnajfhgimadimbjhmpaeohhln", "relay:443"));
  EXPECT_FALSE(policy.allows("https://evil.example", "relay:443"));
}

TEST(OriginPolicy, AllowsTheRelaysOwnPagesAndNonBrowsers) {
  OriginPolicy policy({});
  EXPECT_TRUE(policy.allows("http://127.0.0.1:8080", "127.0.0.1:8080"));
  EXPECT_TRUE(policy.allows("https://Relay.Example.com", "relay.example.com"));
  EXPECT_FALSE(policy.allows("http://127.0.0.1:8081", "127.0.0.1:8080"));
  EXPECT_FALSE(policy.allows("http://127.0.0.1:8080", ""));
  EXPECT_TRUE(policy.allows("", "127.0.0.1:8080"));  // no Origin: not a browser
}

TEST(OriginPolicy, StarAllowsAny) {
  OriginPolicy policy({"*"});
  EXPECT_TRUE(policy.allows("https://anything.example", "relay"));
}

}  // namespace
}  // namespace sshrelay
