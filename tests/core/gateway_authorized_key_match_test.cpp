#include "core/gateway/authorized_key_match.hpp"

#include <gtest/gtest.h>

namespace sshrelay::gateway {
namespace {

constexpr const char* kType = "ssh-ed25519";
constexpr const char* kBlob = "AAAAC3NzaC1lZDI1NTE5AAAAIGm1x9hTnYh0p3F4bq2bBOMXhWJ3KxzmrV3qz3x5oYt1";

TEST(GatewayAuthorizedKeyMatch, FindsTheKeyWhateverSurroundsIt) {
  EXPECT_TRUE(authorized_keys_list(std::string(kType) + " " + kBlob + " alice@laptop\n", kType, kBlob));
  EXPECT_TRUE(authorized_keys_list(std::string("# keys\n\n") + kType + " " + kBlob, kType, kBlob));  // no newline at the end
  EXPECT_TRUE(authorized_keys_list(std::string("no-pty,from=\"10.0.0.1\" ") + kType + " " + kBlob + " x\r\n", kType, kBlob));
  EXPECT_TRUE(authorized_keys_list(std::string("command=\"echo a b c\",no-pty ") + kType + " " + kBlob, kType, kBlob));
  EXPECT_TRUE(authorized_keys_list(std::string("ssh-rsa AAAAB3 other\n\t") + kType + "\t" + kBlob, kType, kBlob));
}

TEST(GatewayAuthorizedKeyMatch, RefusesWhatIsNotListed) {
  EXPECT_FALSE(authorized_keys_list("", kType, kBlob));
  EXPECT_FALSE(authorized_keys_list(std::string("# ") + kType + " " + kBlob, kType, kBlob));  // commented out
  EXPECT_FALSE(authorized_keys_list(std::string("ssh-rsa ") + kBlob, kType, kBlob));        // another type
  EXPECT_FALSE(authorized_keys_list(std::string(kType) + " " + kBlob + "X", kType, kBlob));  // another blob
  EXPECT_FALSE(authorized_keys_list(std::string("a b ") + kType + " " + kBlob, kType, kBlob));  // not where a key is
  EXPECT_FALSE(authorized_keys_list(std::string(kType) + " " + kBlob, kType, ""));
}

}  // namespace
}  // namespace sshrelay::gateway
