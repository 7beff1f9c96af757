#include "core/common/nearest_name.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sshrelay {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsSubstitutionsAndSwapsOnce) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("grace", "grace"), 0u);
  EXPECT_EQ(edit_distance("GRACE", "grace"), 0u);  // case does not count
  EXPECT_EQ(edit_distance("grace", "grase"), 1u);
  EXPECT_EQ(edit_distance("grace", "grac"), 1u);
  EXPECT_EQ(edit_distance("grace", "rgace"), 1u);  // neighbours swapped
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(NearestName, SuggestsATypoAndNotADifferentName) {
  const std::vector<std::string> known{"RELAY_GRACE_SECONDS", "RELAY_PING_SECONDS", "RELAY_LISTEN"};
  EXPECT_EQ(nearest_name("RELAY_GRACE_SECOND", known), "RELAY_GRACE_SECONDS");
  EXPECT_EQ(nearest_name("relay_grace_seconds", known), "RELAY_GRACE_SECONDS");
  EXPECT_EQ(nearest_name("RELAY_LISTNE", known), "RELAY_LISTEN");
  EXPECT_EQ(nearest_name("RELAY_AUTH_REQUIRED", known), std::nullopt);
  EXPECT_EQ(nearest_name("X", known), std::nullopt);
  EXPECT_EQ(nearest_name("RELAY_GRACE_SECONDS", std::vector<std::string>{}), std::nullopt);
}

}  // namespace
}  // namespace sshrelay
