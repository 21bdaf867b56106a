#include "common/closest_name.h"

#include <gtest/gtest.h>

namespace fastappkit {

TEST(ClosestNameTest, SuggestsATypoAndNothingFarOff) {
    EXPECT_EQ(3u, edit_distance("kitten", "sitting"));
    EXPECT_EQ("billing", closest_name("biling", {"accounts", "billing"}));
    EXPECT_EQ("upgrade", closest_name("upgrde", {"upgrade", "downgrade"}));
    EXPECT_EQ("", closest_name("reports", {"accounts", "billing"}));
    EXPECT_EQ("", closest_name("x", {}));
}

}  // namespace fastappkit
