#include "dataplane/io/udp/encapsulation.h"

#include <cstdint>
#include <vector>

#include "dataplane/io/udp/test_packets.h"
#include "gtest/gtest.h"

namespace plait::io::udp {
namespace {

using testing::InnerPacket;
using testing::Ip;

std::vector<uint8_t> Datagram(absl::Span<const uint8_t> inner) {
  std::vector<uint8_t> out(kHeaderSize);
  WriteHeader(absl::MakeSpan(out));
  out.insert(out.end(), inner.begin(), inner.end());
  return out;
}

TEST(EncapsulationTest, HeaderBytesAreAsDocumented) {
  uint8_t header[kHeaderSize];
  WriteHeader(absl::MakeSpan(header));
  EXPECT_EQ(header[0], 0x50);  // 'P'
  EXPECT_EQ(header[1], 0x4c);  // 'L'
  EXPECT_EQ(header[2], 0x01);
  EXPECT_EQ(header[3], 0x01);
}

TEST(EncapsulationTest, RoundTripsIpv4AndIpv6) {
  const uint8_t payload[] = {1, 2, 3, 4, 5};
  for (const auto& [src, dst] :
       {std::pair{"10.0.0.1", "10.0.0.2"}, std::pair{"fd00::1", "fd00::2"}}) {
    const auto inner = InnerPacket(Ip(src), Ip(dst), payload);
    const auto datagram = Datagram(inner);
    const Decapsulated d = Decapsulate(datagram);
    ASSERT_TRUE(d.ok) << src;
    EXPECT_EQ(d.src, Ip(src));
    EXPECT_EQ(d.dst, Ip(dst));
    EXPECT_EQ(std::vector<uint8_t>(d.packet.begin(), d.packet.end()), inner);
  }
}

TEST(EncapsulationTest, EachBadInputHasItsReason) {
  const uint8_t payload[] = {9};
  const auto good =
      Datagram(InnerPacket(Ip("10.0.0.1"), Ip("10.0.0.2"), payload));
  auto reason = [](std::vector<uint8_t> d) {
    const Decapsulated result = Decapsulate(d);
    EXPECT_FALSE(result.ok);
    EXPECT_TRUE(result.packet.empty());
    return result.reason;
  };
  EXPECT_EQ(reason({}), DropReason::kTooShort);
  EXPECT_EQ(reason({0x50, 0x4c, 1, 1}), DropReason::kTooShort);
  auto bad = good;
  bad[1] = 'X';
  EXPECT_EQ(reason(bad), DropReason::kBadMagic);
  bad = good;
  bad[2] = 2;
  EXPECT_EQ(reason(bad), DropReason::kBadVersion);
  bad = good;
  bad[3] = 0;
  EXPECT_EQ(reason(bad), DropReason::kUnknownType);
  bad = good;
  bad.push_back(0);  // trailing byte: total length disagrees
  EXPECT_EQ(reason(bad), DropReason::kBadInnerPacket);
  bad = good;
  bad.pop_back();
  EXPECT_EQ(reason(bad), DropReason::kBadInnerPacket);
  bad = good;
  bad[4] = 0x44;  // IHL 4
  EXPECT_EQ(reason(bad), DropReason::kBadInnerPacket);
  bad = good;
  bad[4] = 0x5f;  // version 5
  EXPECT_EQ(reason(bad), DropReason::kBadInnerPacket);
  bad = good;
  bad[4] = 0x4f;  // IHL 15: 60 bytes, more than the packet
  EXPECT_EQ(reason(bad), DropReason::kBadInnerPacket);
  auto v6 = Datagram(InnerPacket(Ip("fd00::1"), Ip("fd00::2"), payload));
  v6[kHeaderSize + 5] = 0;  // payload length 0 (jumbogram) with 1 byte
  EXPECT_EQ(reason(v6), DropReason::kBadInnerPacket);
  EXPECT_EQ(reason({0x50, 0x4c, 1, 1, 0x60}), DropReason::kBadInnerPacket);
}

TEST(EncapsulationTest, MtuNumbers) {
  EXPECT_EQ(MaxInnerPacket(true, 1500), 1468u);
  EXPECT_EQ(MaxInnerPacket(false, 1500), 1448u);
  EXPECT_EQ(InnerMss(true, true, 1500), 1428u);
  EXPECT_EQ(InnerMss(true, false, 1500), 1408u);
  EXPECT_EQ(InnerMss(false, true, 1500), 1408u);
  EXPECT_EQ(InnerMss(false, false, 1500), 1388u);
  EXPECT_EQ(InnerMss(false, false, 1280), 1168u);
  EXPECT_EQ(InnerMss(true, true, 40), 0u);
}

TEST(EncapsulationTest, ReasonsHaveNames) {
  for (size_t i = 0; i < kDropReasonCount; ++i) {
    EXPECT_STRNE(DropReasonName(static_cast<DropReason>(i)), "unknown");
  }
}

}  // namespace
}  // namespace plait::io::udp
