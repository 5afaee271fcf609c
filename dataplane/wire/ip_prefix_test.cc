#include "dataplane/wire/ip_prefix.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plait::wire {
namespace {

using ::testing::HasSubstr;

IpAddress A(const char* text) { return *IpAddress::Parse(text); }

TEST(IpPrefixTest, ContainsByFamilyAndLength) {
  auto p = IpPrefix::Parse("10.1.0.0/16");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->Contains(A("10.1.255.7")));
  EXPECT_FALSE(p->Contains(A("10.2.0.1")));
  EXPECT_FALSE(p->Contains(A("::ffff:10.1.0.1")));
  auto q = IpPrefix::Parse("2001:db8::/33");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_TRUE(q->Contains(A("2001:db8:7fff::1")));
  EXPECT_FALSE(q->Contains(A("2001:db8:8000::1")));
  EXPECT_TRUE(IpPrefix::Parse("0.0.0.0/0")->Contains(A("192.0.2.1")));
}

TEST(IpPrefixTest, BareAddressIsAHostPrefix) {
  auto p = IpPrefix::Parse("192.0.2.9");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->length(), 32);
  EXPECT_TRUE(p->Contains(A("192.0.2.9")));
  EXPECT_FALSE(p->Contains(A("192.0.2.8")));
  EXPECT_EQ(p->ToString(), "192.0.2.9/32");
}

TEST(IpPrefixTest, ErrorsSayWhatIsWrong) {
  EXPECT_THAT(IpPrefix::Parse("10.0.0.0/33").status().message(),
              HasSubstr("prefix length 33 is more than 32"));
  EXPECT_THAT(IpPrefix::Parse("10.1.2.3/16").status().message(),
              HasSubstr("host bits are set"));
  EXPECT_THAT(IpPrefix::Parse("ten/8").status().message(),
              HasSubstr("\"ten\" is not an IP address"));
  EXPECT_THAT(IpPrefix::Parse("10.0.0.0/x").status().message(),
              HasSubstr("\"x\" is not a prefix length"));
  EXPECT_THAT(IpPrefix::Parse("10.0.0.0/-1").status().message(),
              HasSubstr("not a prefix length"));
}

}  // namespace
}  // namespace plait::wire
