// The gateway's login names: ^[a-zA-Z0-9._-]{1,64}$, the name becomes the remote user name.
#include <gtest/gtest.h>

#include <string>

#include "core/gateway/user_name.hpp"

namespace sshrelay::gateway {
namespace {

TEST(GatewayUserName, AcceptsPlainUnixNames) {
  for (const char* name : {"alice", "a", "Bob_2", "first.last", "svc-deploy", "_build", "-", ".", "0"}) {
    EXPECT_TRUE(valid_gateway_user_name(name)) << name;
  }
}

TEST(GatewayUserName, AcceptsSixtyFourCharactersButNotSixtyFive) {
  EXPECT_TRUE(valid_gateway_user_name(std::string(64, 'a')));
  EXPECT_FALSE(valid_gateway_user_name(std::string(65, 'a')));
}

TEST(GatewayUserName, RefusesRoutingPathsAndShellCharacters) {
  for (const char* name : {"", "alice@host", "alice@host:22", "../root", "a/b", "a b", "a;id", "$(id)", "a`b`",
                           "a\\b", "a:b", "é", "a\tb", "a\nb", "~alice", "a*", "a'b", "a\"b"}) {
    EXPECT_FALSE(valid_gateway_user_name(name)) << name;
  }
  EXPECT_FALSE(valid_gateway_user_name(std::string("al\0ice", 6)));
}

TEST(GatewayUserName, RefusesWithIllegalUserNameAndThePeersText) {
  EXPECT_EQ(kIllegalUserNameReason, 15u);
  EXPECT_EQ(kInvalidUserNameText, "Invalid username format");
}

}  // namespace
}  // namespace sshrelay::gateway
