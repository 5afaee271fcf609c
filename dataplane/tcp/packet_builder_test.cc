#include "dataplane/tcp/packet_builder.h"

#include <array>
#include <vector>

#include "dataplane/wire/tcp_header.h"
#include "gtest/gtest.h"

namespace plait::tcp {
namespace {

using wire::TcpHeader;

wire::Segment Parse(absl::Span<const uint8_t> packet) {
  auto segment = wire::ParseSegment(packet);
  EXPECT_TRUE(segment.ok()) << segment.status();
  EXPECT_TRUE(segment->checksum_valid);
  return *segment;
}

TEST(PacketBuilderTest, BuildsAValidSegmentForBothFamilies) {
  for (const char* a : {"10.0.0.1", "fd00::1"}) {
    TcpPacketSpec spec;
    spec.src = *wire::IpAddress::Parse(a);
    spec.dst =
        *wire::IpAddress::Parse(spec.src.is_v4() ? "10.0.0.2" : "fd00::2");
    spec.src_port = 1000;
    spec.dst_port = 80;
    spec.seq = 7;
    spec.ack = 9;
    spec.flags = TcpHeader::kAck | TcpHeader::kPsh;
    spec.window = 321;
    std::array<uint8_t, 200> out;
    auto length = BuildTcpPacket(
        spec, 5, [](uint8_t* d) { std::fill(d, d + 5, 0x61); },
        absl::MakeSpan(out));
    ASSERT_TRUE(length.ok());
    const wire::Segment s = Parse(absl::MakeConstSpan(out.data(), *length));
    EXPECT_EQ(s.tcp.seq, 7u);
    EXPECT_EQ(s.tcp.window, 321);
    ASSERT_EQ(s.tcp.payload.size(), 5u);
    EXPECT_EQ(s.tcp.payload[4], 0x61);
  }
  TcpPacketSpec mixed;
  mixed.src = *wire::IpAddress::Parse("10.0.0.1");
  mixed.dst = *wire::IpAddress::Parse("fd00::2");
  std::array<uint8_t, 100> out;
  EXPECT_FALSE(BuildTcpPacket(
                   mixed, 0, [](uint8_t*) {}, absl::MakeSpan(out))
                   .ok());
  std::array<uint8_t, 30> small;
  mixed.dst = *wire::IpAddress::Parse("10.0.0.2");
  EXPECT_FALSE(BuildTcpPacket(
                   mixed, 0, [](uint8_t*) {}, absl::MakeSpan(small))
                   .ok());
}

// RFC 9293 3.10.7.1 for a segment that finds no connection.
TEST(PacketBuilderTest, ResetReplyFollowsTheRfc) {
  TcpPacketSpec spec;
  spec.src = *wire::IpAddress::Parse("10.0.0.1");
  spec.dst = *wire::IpAddress::Parse("10.0.0.2");
  spec.src_port = 1000;
  spec.dst_port = 80;
  spec.seq = 100;
  spec.flags = TcpHeader::kSyn;
  std::array<uint8_t, 100> in;
  auto length = BuildTcpPacket(
      spec, 0, [](uint8_t*) {}, absl::MakeSpan(in));
  ASSERT_TRUE(length.ok());
  std::array<uint8_t, 100> out;
  auto reply_length = BuildResetReply(
      Parse(absl::MakeConstSpan(in.data(), *length)), absl::MakeSpan(out));
  ASSERT_TRUE(reply_length.ok());
  wire::Segment reply = Parse(absl::MakeConstSpan(out.data(), *reply_length));
  // No ACK in the segment: RST/ACK acknowledging it (the SYN counts one).
  EXPECT_EQ(reply.tcp.flags, TcpHeader::kRst | TcpHeader::kAck);
  EXPECT_EQ(reply.tcp.seq, 0u);
  EXPECT_EQ(reply.tcp.ack, 101u);
  EXPECT_EQ(reply.ip.src, spec.dst);
  EXPECT_EQ(reply.tcp.dst_port, 1000);

  // With an ACK: a bare RST at the acknowledged sequence number.
  spec.flags = TcpHeader::kAck;
  spec.ack = 5555;
  length = BuildTcpPacket(
      spec, 0, [](uint8_t*) {}, absl::MakeSpan(in));
  reply_length = BuildResetReply(Parse(absl::MakeConstSpan(in.data(), *length)),
                                 absl::MakeSpan(out));
  ASSERT_TRUE(reply_length.ok());
  reply = Parse(absl::MakeConstSpan(out.data(), *reply_length));
  EXPECT_EQ(reply.tcp.flags, TcpHeader::kRst);
  EXPECT_EQ(reply.tcp.seq, 5555u);
}

}  // namespace
}  // namespace plait::tcp
