#include "sim/packet_rewrite.h"

#include <tuple>
#include <vector>

#include "dataplane/wire/segment.h"
#include "gtest/gtest.h"
#include "sim/test_packets.h"

namespace plait::sim {
namespace {

using testing::Addr;

TEST(FlowKeyTest, ReversedAndCanonical) {
  const FlowKey k{Addr("10.0.0.2"), Addr("10.0.0.1"), 80, 40000};
  EXPECT_EQ(k.Reversed(),
            (FlowKey{Addr("10.0.0.1"), Addr("10.0.0.2"), 40000, 80}));
  EXPECT_EQ(k.Canonical(), k.Reversed());
  EXPECT_EQ(k.Reversed().Canonical(), k.Reversed());
  const FlowKey same_host{Addr("10.0.0.1"), Addr("10.0.0.1"), 9, 8};
  EXPECT_EQ(same_host.Canonical().src_port, 8);
  EXPECT_EQ(same_host.Reversed().Canonical(), same_host.Canonical());
}

TEST(LocateTcpTest, FindsTheSegmentInIpv4AndIpv6) {
  const std::vector<uint8_t> options = {1, 1, 4, 2, 2, 4, 0x05, 0xb4};
  for (const char* src : {"10.0.0.1", "fd00::1"}) {
    testing::TcpPacketSpec spec;
    spec.src = Addr(src);
    spec.dst = Addr(spec.src.is_v4() ? "10.0.0.2" : "fd00::2");
    spec.options = options;
    spec.payload_size = 10;
    spec.flags = 0x12;
    const std::vector<uint8_t> packet = testing::BuildTcpPacket(spec);
    auto location = LocateTcp(packet);
    ASSERT_TRUE(location.has_value());
    const size_t ip = spec.src.is_v4() ? 20 : 40;
    EXPECT_EQ(location->is_v4, spec.src.is_v4());
    EXPECT_EQ(location->tcp_offset, ip);
    EXPECT_EQ(location->tcp_length, 20u + 8 + 10);
    EXPECT_EQ(location->options_offset, ip + 20);
    EXPECT_EQ(location->options_length, 8u);
    EXPECT_EQ(location->flags, 0x12);
    EXPECT_TRUE(location->checksum_valid);
    EXPECT_EQ(location->flow,
              (FlowKey{spec.src, spec.dst, spec.src_port, spec.dst_port}));
  }
  EXPECT_FALSE(LocateTcp(std::vector<uint8_t>{0x45, 0}).has_value());
}

TEST(ForEachTcpOptionTest, WalksKindsAndLengths) {
  // NOP, MSS, kind 30 (length 4), EOL, padding.
  const std::vector<uint8_t> packet = {0xff, 1, 2,    4, 5, 0xb4,
                                       30,   4, 0x00, 1, 0, 0};
  std::vector<std::tuple<size_t, uint8_t, size_t>> seen;
  ForEachTcpOption(packet, 1, 11, [&](size_t at, uint8_t kind, size_t len) {
    seen.push_back({at, kind, len});
  });
  EXPECT_EQ(seen, (std::vector<std::tuple<size_t, uint8_t, size_t>>{
                      {1, 1, 1}, {2, 2, 4}, {6, 30, 4}, {10, 0, 1}}));
  // A length running past the end stops the walk.
  seen.clear();
  ForEachTcpOption(packet, 1, 4, [&](size_t at, uint8_t kind, size_t len) {
    seen.push_back({at, kind, len});
  });
  EXPECT_EQ(seen.size(), 1u);
}

TEST(ChecksumRefreshTest, RestoresBothChecksumsAfterAnAddressChange) {
  testing::TcpPacketSpec spec;
  spec.src = Addr("10.0.0.1");
  spec.dst = Addr("10.0.0.2");
  spec.payload_size = 33;
  std::vector<uint8_t> packet = testing::BuildTcpPacket(spec);
  auto location = LocateTcp(packet);
  ASSERT_TRUE(location.has_value());
  packet[15] = 9;                                 // source becomes 10.0.0.9
  EXPECT_FALSE(wire::ParseSegment(packet).ok());  // IPv4 header checksum
  RefreshIpv4HeaderChecksum(absl::MakeSpan(packet));
  auto segment = wire::ParseSegment(packet);
  ASSERT_TRUE(segment.ok());
  EXPECT_FALSE(segment->checksum_valid);
  ASSERT_TRUE(RefreshTcpChecksum(absl::MakeSpan(packet), *location).ok());
  segment = wire::ParseSegment(packet);
  ASSERT_TRUE(segment.ok());
  EXPECT_TRUE(segment->checksum_valid);
  EXPECT_EQ(segment->ip.src, Addr("10.0.0.9"));
}

}  // namespace
}  // namespace plait::sim
