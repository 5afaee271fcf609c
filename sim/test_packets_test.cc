#include "sim/test_packets.h"

#include "dataplane/wire/segment.h"
#include "gtest/gtest.h"

namespace plait::sim::testing {
namespace {

TEST(TestPacketsTest, BuildsValidIpv4AndIpv6Segments) {
  for (const char* family : {"v4", "v6"}) {
    const bool v4 = family[1] == '4';
    TcpPacketSpec spec;
    spec.src = Addr(v4 ? "10.0.0.1" : "fd00::1");
    spec.dst = Addr(v4 ? "10.0.0.2" : "fd00::2");
    spec.seq = 77;
    spec.payload_size = 300;
    const std::vector<uint8_t> bytes = BuildTcpPacket(spec);
    EXPECT_EQ(bytes.size(), (v4 ? 20u : 40u) + 20u + 300u);
    auto segment = wire::ParseSegment(bytes);
    ASSERT_TRUE(segment.ok()) << segment.status();
    EXPECT_TRUE(segment->checksum_valid);
    EXPECT_EQ(segment->ip.src, spec.src);
    EXPECT_EQ(segment->tcp.seq, 77u);
    EXPECT_EQ(segment->tcp.payload.size(), 300u);
    EXPECT_EQ(segment->tcp.payload[299], 299 % 256);
  }
}

TEST(TestPacketsTest, OpaquePacket) {
  const Packet p = OpaquePacket(3, 10, 0xab);
  EXPECT_EQ(p.id, 3u);
  EXPECT_EQ(p.bytes, std::vector<uint8_t>(10, 0xab));
}

}  // namespace
}  // namespace plait::sim::testing
