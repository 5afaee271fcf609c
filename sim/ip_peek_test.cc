#include "sim/ip_peek.h"

#include <vector>

#include "gtest/gtest.h"
#include "sim/test_packets.h"

namespace plait::sim {
namespace {

using testing::Addr;

TEST(IpPeekTest, ReadsIpv4AndIpv6Addresses) {
  testing::TcpPacketSpec spec;
  spec.src = Addr("192.0.2.1");
  spec.dst = Addr("198.51.100.7");
  auto v4 = PeekIpAddresses(testing::BuildTcpPacket(spec));
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->src, spec.src);
  EXPECT_EQ(v4->dst, spec.dst);

  spec.src = Addr("2001:db8::1");
  spec.dst = Addr("2001:db8:1::2");
  auto v6 = PeekIpAddresses(testing::BuildTcpPacket(spec));
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->src, spec.src);
  EXPECT_EQ(v6->dst, spec.dst);
}

TEST(IpPeekTest, RejectsShortAndNonIpPackets) {
  EXPECT_FALSE(PeekIpAddresses({}).has_value());
  std::vector<uint8_t> short_v4(19, 0);
  short_v4[0] = 0x45;
  EXPECT_FALSE(PeekIpAddresses(short_v4).has_value());
  std::vector<uint8_t> short_v6(39, 0);
  short_v6[0] = 0x60;
  EXPECT_FALSE(PeekIpAddresses(short_v6).has_value());
  std::vector<uint8_t> v5(60, 0);
  v5[0] = 0x50;
  EXPECT_FALSE(PeekIpAddresses(v5).has_value());
}

}  // namespace
}  // namespace plait::sim
