#include "dataplane/wire/segment.h"

#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "dataplane/wire/checksum.h"
#include "dataplane/wire/option_writer.h"
#include "dataplane/wire/pcap_file.h"
#include "dataplane/wire/test_util.h"
#include "gtest/gtest.h"

namespace plait::wire {
namespace {

using testing_util::ReadFile;

// Every segment in the captures of a real Linux kernel MPTCP exchange parses
// cleanly, with a valid checksum and every MPTCP option understood.
class KernelCaptureTest : public testing::TestWithParam<const char*> {};

TEST_P(KernelCaptureTest, EverySegmentParsesCleanly) {
  const std::vector<uint8_t> file =
      ReadFile(std::string("dataplane/wire/testdata/") + GetParam());
  auto reader = PcapReader::Open(file);
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::map<MptcpSubtype, int> subtypes;
  int segments = 0;
  PcapRecord record;
  while (reader->Next(&record)) {
    auto packet = IpPacketInFrame(reader->link_type(), record.data);
    if (!packet.ok()) continue;  // ARP
    auto segment = ParseSegment(*packet);
    ASSERT_TRUE(segment.ok()) << segment.status();
    ++segments;
    EXPECT_TRUE(segment->checksum_valid) << "segment " << segments;
    EXPECT_FALSE(segment->has_option_problems()) << "segment " << segments;
    EXPECT_TRUE(segment->options.timestamps.has_value());
    for (const MptcpOption& option : segment->mptcp_options()) {
      ++subtypes[SubtypeOf(option)];
    }
    EXPECT_EQ(segment->mptcp_count, segment->options.mptcp_count);
  }
  EXPECT_GT(segments, 40);
  // One MP_CAPABLE connection, two MP_JOIN subflows, one ADD_ADDR and its
  // echo, and DSS on everything after the handshakes.
  EXPECT_EQ(subtypes[MptcpSubtype::kMpCapable], 3);
  EXPECT_EQ(subtypes[MptcpSubtype::kMpJoin], 6);
  EXPECT_EQ(subtypes[MptcpSubtype::kAddAddr], 2);
  EXPECT_GT(subtypes[MptcpSubtype::kDss], 20);
}

INSTANTIATE_TEST_SUITE_P(Captures, KernelCaptureTest,
                         testing::Values("kernel_mptcp.pcap",
                                         "kernel_mptcp_checksum.pcap"));

// Builds a whole IPv6 segment with the wire writers and reads it back.
std::vector<uint8_t> BuildIpv6Segment(absl::Span<const uint8_t> options,
                                      absl::Span<const uint8_t> payload) {
  const IpAddress src = *IpAddress::Parse("fd00::1");
  const IpAddress dst = *IpAddress::Parse("fd00::2");
  std::vector<uint8_t> tcp(20 + options.size() + payload.size());
  ByteWriter tcp_out(absl::MakeSpan(tcp));
  TcpHeaderFields fields;
  fields.src_port = 40000;
  fields.dst_port = 443;
  fields.seq = 1000;
  fields.ack = 2000;
  fields.flags = TcpHeader::kAck | TcpHeader::kPsh;
  fields.window = 512;
  EXPECT_TRUE(WriteTcpHeader(fields, options, tcp_out).ok());
  tcp_out.WriteBytes(payload);
  EXPECT_TRUE(FillTcpChecksum(src, dst, absl::MakeSpan(tcp)).ok());

  std::vector<uint8_t> packet(40 + tcp.size());
  ByteWriter out(absl::MakeSpan(packet));
  Ipv6HeaderFields ip;
  ip.src = src;
  ip.dst = dst;
  ip.next_header = kIpProtocolTcp;
  ip.hop_limit = 64;
  EXPECT_TRUE(WriteIpv6Header(ip, tcp.size(), out).ok());
  out.WriteBytes(tcp);
  EXPECT_TRUE(out.ok());
  return packet;
}

TEST(ParseSegmentTest, BuiltIpv6SegmentRoundTrips) {
  OptionWriter writer;
  writer.Add(TcpOption{TimestampsOption{7, 8}});
  Dss dss;
  dss.data_ack = 0x1122334455667788;
  dss.data_ack_64 = true;
  dss.mapping = DssMapping{
      .dsn = 42, .dsn_64 = true, .subflow_seq = 1, .data_level_length = 5};
  writer.Add(MptcpOption{dss});
  auto layout = writer.Finish();
  ASSERT_TRUE(layout.ok());
  const std::vector<uint8_t> payload = {'h', 'e', 'l', 'l', 'o'};
  const std::vector<uint8_t> packet =
      BuildIpv6Segment(layout->option_bytes(), payload);

  auto segment = ParseSegment(packet);
  ASSERT_TRUE(segment.ok()) << segment.status();
  EXPECT_FALSE(segment->ip.src.is_v4());
  EXPECT_EQ(segment->tcp.dst_port, 443);
  EXPECT_TRUE(segment->checksum_valid);
  EXPECT_EQ(segment->tcp.payload.size(), 5u);
  ASSERT_EQ(segment->mptcp_count, 1);
  EXPECT_EQ(std::get<Dss>(segment->mptcp[0]), dss);

  std::vector<uint8_t> corrupt = packet;
  corrupt.back() ^= 0x01;
  segment = ParseSegment(corrupt);
  ASSERT_TRUE(segment.ok());
  EXPECT_FALSE(segment->checksum_valid);
}

TEST(ParseSegmentTest, MalformedMptcpOptionIsReportedNotFatal) {
  // A DSS whose length matches no combination of its flags.
  const std::vector<uint8_t> options = {0x1e, 0x05, 0x20, 0x01,
                                        0x00, 0x01, 0x01, 0x01};
  auto segment = ParseSegment(BuildIpv6Segment(options, {}));
  ASSERT_TRUE(segment.ok()) << segment.status();
  EXPECT_EQ(segment->mptcp_count, 0);
  ASSERT_EQ(segment->mptcp_error_count, 1);
  EXPECT_EQ(segment->mptcp_errors[0].index, 0);
  EXPECT_NE(segment->mptcp_errors[0].status.message().find("DSS"),
            std::string::npos)
      << segment->mptcp_errors[0].status;
  EXPECT_TRUE(segment->has_option_problems());
}

TEST(ParseSegmentTest, NonTcpAndFragmentsAreUnimplemented) {
  std::vector<uint8_t> packet = BuildIpv6Segment({}, {});
  packet[6] = kIpProtocolUdp;
  auto segment = ParseSegment(packet);
  ASSERT_FALSE(segment.ok());
  EXPECT_TRUE(absl::IsUnimplemented(segment.status())) << segment.status();

  // IPv4, first fragment: MF set, offset 0, header checksum recomputed.
  const std::vector<uint8_t> tcp(20, 0);
  std::vector<uint8_t> v4(20 + tcp.size());
  ByteWriter v4_out(absl::MakeSpan(v4));
  Ipv4HeaderFields v4_fields;
  v4_fields.dont_fragment = false;
  v4_fields.src = IpAddress::V4(0x0a000001);
  v4_fields.dst = IpAddress::V4(0x0a000002);
  ASSERT_TRUE(WriteIpv4Header(v4_fields, tcp.size(), v4_out).ok());
  v4_out.WriteBytes(tcp);
  v4[6] |= 0x20;  // MF
  v4[10] = v4[11] = 0;
  InternetChecksum sum;
  sum.Add(absl::MakeConstSpan(v4).subspan(0, 20));
  const uint16_t checksum = sum.Finish();
  v4[10] = static_cast<uint8_t>(checksum >> 8);
  v4[11] = static_cast<uint8_t>(checksum);
  ASSERT_TRUE(ParseIpPacket(v4).ok());
  segment = ParseSegment(v4);
  ASSERT_FALSE(segment.ok());
  EXPECT_TRUE(absl::IsUnimplemented(segment.status())) << segment.status();
  EXPECT_NE(segment.status().message().find("fragment"), std::string::npos)
      << segment.status();

  // IPv6 with a fragment header at offset 1 (8 bytes in), a later fragment.
  const std::vector<uint8_t> tcp_segment = BuildIpv6Segment({}, {});
  std::vector<uint8_t> v6(tcp_segment.begin(), tcp_segment.begin() + 40);
  v6[6] = kIpProtocolIpv6Fragment;
  const uint8_t fragment_header[8] = {kIpProtocolTcp, 0,    0x00, 0x08,
                                      0x12,           0x34, 0x56, 0x78};
  v6.insert(v6.end(), fragment_header, fragment_header + 8);
  v6.insert(v6.end(), tcp_segment.begin() + 40, tcp_segment.end());
  const size_t payload_length = v6.size() - 40;
  v6[4] = static_cast<uint8_t>(payload_length >> 8);
  v6[5] = static_cast<uint8_t>(payload_length);
  ASSERT_TRUE(ParseIpPacket(v6).ok());
  segment = ParseSegment(v6);
  ASSERT_FALSE(segment.ok());
  EXPECT_TRUE(absl::IsUnimplemented(segment.status())) << segment.status();
  EXPECT_NE(segment.status().message().find("fragment"), std::string::npos)
      << segment.status();
}

TEST(ParseSegmentTest, EveryPrefixOfAValidSegmentFailsCleanly) {
  OptionWriter writer;
  writer.Add(TcpOption{MssOption{1400}});
  writer.Add(MptcpOption{MpCapable{.version = 1, .flags = kMpcFlagH}});
  auto layout = writer.Finish();
  ASSERT_TRUE(layout.ok());
  const std::vector<uint8_t> packet =
      BuildIpv6Segment(layout->option_bytes(), {1, 2, 3});
  ASSERT_TRUE(ParseSegment(packet).ok());
  for (size_t cut = 0; cut < packet.size(); ++cut) {
    auto segment = ParseSegment(absl::MakeConstSpan(packet).subspan(0, cut));
    EXPECT_FALSE(segment.ok()) << "prefix of " << cut << " bytes parsed";
  }
}

}  // namespace
}  // namespace plait::wire
