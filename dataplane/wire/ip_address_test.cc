#include "dataplane/wire/ip_address.h"

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"

namespace plait::wire {
namespace {

TEST(IpAddressTest, ParsesAndPrintsBothFamilies) {
  auto v4 = IpAddress::Parse("10.1.0.11");
  ASSERT_TRUE(v4.ok());
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(v4->v4(), 0x0a01000bu);
  EXPECT_EQ(v4->ToString(), "10.1.0.11");
  EXPECT_EQ(*v4, IpAddress::V4(0x0a01000b));

  auto v6 = IpAddress::Parse("fd00::1");
  ASSERT_TRUE(v6.ok());
  EXPECT_FALSE(v6->is_v4());
  EXPECT_EQ(v6->bytes().size(), 16u);
  EXPECT_EQ(v6->bytes()[0], 0xfd);
  EXPECT_EQ(v6->bytes()[15], 0x01);
  EXPECT_EQ(v6->ToString(), "fd00::1");
}

TEST(IpAddressTest, RejectsGarbageWithTheText) {
  auto bad = IpAddress::Parse("10.1.0.300");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("10.1.0.300"), absl::string_view::npos);
}

TEST(IpAddressTest, FamiliesDifferEvenWithEqualBytes) {
  const uint8_t zeros[16] = {};
  EXPECT_NE(IpAddress::V4Bytes({zeros, 4}), IpAddress::V6Bytes({zeros, 16}));
  absl::flat_hash_set<IpAddress> set = {IpAddress::V4(1), IpAddress::V4(1),
                                        IpAddress::V6Bytes({zeros, 16})};
  EXPECT_EQ(set.size(), 2u);
}

// An empty span (whose data() may be null) gives the all-zero address of the
// family rather than a memcpy from null.
TEST(IpAddressTest, EmptySpansGiveZeroAddresses) {
  EXPECT_EQ(IpAddress::V4Bytes({}), IpAddress::V4(0));
  const uint8_t zeros[16] = {};
  EXPECT_EQ(IpAddress::V6Bytes({}), IpAddress::V6Bytes({zeros, 16}));
}

}  // namespace
}  // namespace plait::wire
