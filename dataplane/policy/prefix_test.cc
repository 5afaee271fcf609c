#include "dataplane/policy/prefix.h"

#include "absl/status/status.h"
#include "dataplane/wire/ip_address.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plait::policy {
namespace {

wire::IpAddress Ip(absl::string_view text) {
  return wire::IpAddress::Parse(text).value();
}

bool In(absl::string_view prefix, absl::string_view address) {
  return Prefix::Parse(prefix).value().Contains(Ip(address));
}

TEST(PrefixTest, ParsesIpv4AndIpv6) {
  absl::StatusOr<Prefix> v4 = Prefix::Parse("10.1.0.0/16");
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ(v4->ToString(), "10.1.0.0/16");
  EXPECT_EQ(v4->length(), 16);
  absl::StatusOr<Prefix> v6 = Prefix::Parse("2001:0db8::/32");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->ToString(), "2001:db8::/32");
}

TEST(PrefixTest, ContainsByPrefixBits) {
  EXPECT_TRUE(In("10.1.0.0/16", "10.1.255.7"));
  EXPECT_FALSE(In("10.1.0.0/16", "10.2.0.1"));
  EXPECT_TRUE(In("10.0.0.128/25", "10.0.0.200"));
  EXPECT_FALSE(In("10.0.0.128/25", "10.0.0.127"));
  EXPECT_TRUE(In("0.0.0.0/0", "192.0.2.1"));
  EXPECT_TRUE(In("192.0.2.1/32", "192.0.2.1"));
  EXPECT_FALSE(In("192.0.2.1/32", "192.0.2.2"));
  EXPECT_TRUE(In("2001:db8::/32", "2001:db8:ffff::1"));
  EXPECT_FALSE(In("2001:db8::/32", "2001:db9::1"));
  EXPECT_TRUE(In("2001:db8:0:80::/57", "2001:db8:0:ff::1"));
  EXPECT_FALSE(In("2001:db8:0:80::/57", "2001:db8:0:7f::1"));
}

TEST(PrefixTest, FamiliesNeverMix) {
  EXPECT_FALSE(In("::/0", "10.0.0.1"));
  EXPECT_FALSE(In("0.0.0.0/0", "::1"));
  EXPECT_FALSE(In("::ffff:0:0/96", "10.0.0.1"));
}

TEST(PrefixTest, RefusesWhatIsNotAPrefix) {
  for (absl::string_view text :
       {"10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/1000",
        "10.0.0.0/ 8", "10.0.0.0/8/8", "x/8", "/8", "", "10.0.0.1/31",
        "::1/127"}) {
    EXPECT_FALSE(Prefix::Parse(text).ok()) << text;
  }
}

TEST(PrefixTest, SaysWhichPrefixTheHostBitsHide) {
  EXPECT_EQ(Prefix::Parse("10.1.2.3/12").status().message(),
            "host bits are set (the prefix is 10.0.0.0/12)");
  EXPECT_EQ(Prefix::Parse("fd00::1:2/100").status().message(),
            "host bits are set (the prefix is fd00::/100)");
}

}  // namespace
}  // namespace plait::policy
