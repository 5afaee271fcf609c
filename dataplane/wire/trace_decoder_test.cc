#include "dataplane/wire/trace_decoder.h"

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "dataplane/wire/pcap_file.h"
#include "gtest/gtest.h"

namespace plait::wire {
namespace {

std::vector<std::vector<uint8_t>> Packets(const std::string& name) {
  std::ifstream in("dataplane/wire/testdata/" + name, std::ios::binary);
  const std::vector<uint8_t> file{std::istreambuf_iterator<char>(in),
                                  std::istreambuf_iterator<char>()};
  std::vector<std::vector<uint8_t>> packets;
  auto reader = PcapReader::Open(file);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return packets;
  PcapRecord record;
  while (reader->Next(&record)) {
    auto packet = IpPacketInFrame(reader->link_type(), record.data);
    if (packet.ok()) packets.emplace_back(packet->begin(), packet->end());
  }
  return packets;
}

// The kernel computed these DSS checksums; ours must agree on every one,
// including mappings spread over three segments and bare DATA_FINs.
TEST(TraceDecoderTest, VerifiesEveryKernelDssChecksum) {
  TraceDecoder decoder;
  for (const auto& packet : Packets("kernel_mptcp_checksum.pcap")) {
    decoder.Decode(packet, 0);
  }
  const TraceSummary& summary = decoder.summary();
  EXPECT_TRUE(summary.clean()) << summary.ToString();
  EXPECT_EQ(summary.dss_checksums_ok, 17) << summary.ToString();
  EXPECT_EQ(summary.dss_checksums_bad, 0);
  EXPECT_EQ(summary.dss_checksums_unchecked, 0);
  EXPECT_EQ(summary.mptcp_options.at("MP_CAPABLE"), 3);
}

TEST(TraceDecoderTest, WithoutChecksumsThereIsNothingToVerify) {
  TraceDecoder decoder;
  for (const auto& packet : Packets("kernel_mptcp.pcap")) {
    decoder.Decode(packet, 0);
  }
  EXPECT_TRUE(decoder.summary().clean());
  EXPECT_EQ(decoder.summary().dss_checksums_ok, 0);
  EXPECT_GT(decoder.summary().mptcp_options.at("DSS"), 20);
}

// A middlebox that rewrites payload and fixes up the TCP checksum (as
// transparent proxies do) is what the DSS checksum exists to catch.
TEST(TraceDecoderTest, CatchesPayloadRewrittenBehindAValidTcpChecksum) {
  std::vector<std::vector<uint8_t>> packets =
      Packets("kernel_mptcp_checksum.pcap");
  bool rewritten = false;
  for (auto& packet : packets) {
    auto segment = ParseSegment(packet);
    ASSERT_TRUE(segment.ok());
    if (rewritten || segment->tcp.payload.size() < 100) continue;
    const size_t tcp_offset = segment->ip.payload.data() - packet.data();
    const size_t payload_offset = segment->tcp.payload.data() - packet.data();
    packet[payload_offset + 50] ^= 0x20;
    ASSERT_TRUE(FillTcpChecksum(segment->ip.src, segment->ip.dst,
                                absl::MakeSpan(packet).subspan(tcp_offset))
                    .ok());
    rewritten = true;
  }
  ASSERT_TRUE(rewritten);
  TraceDecoder decoder;
  for (const auto& packet : packets) decoder.Decode(packet, 0);
  EXPECT_EQ(decoder.summary().bad_tcp_checksums, 0);
  EXPECT_EQ(decoder.summary().dss_checksums_bad, 1);
  EXPECT_EQ(decoder.summary().dss_checksums_ok, 16);
  EXPECT_FALSE(decoder.summary().clean());
}

TEST(TraceDecoderTest, CountsWhatItCannotDecode) {
  TraceDecoder decoder;
  const std::vector<uint8_t> garbage = {0x45, 0x00, 0x00};
  const std::string line = decoder.Decode(garbage, 0);
  EXPECT_NE(line.find("not decoded"), std::string::npos) << line;
  EXPECT_EQ(decoder.summary().malformed, 1);

  std::vector<uint8_t> udp = Packets("kernel_mptcp.pcap").front();
  udp[9] = 17;  // protocol; the IPv4 header checksum is now wrong too
  decoder.Decode(udp, 0);
  EXPECT_EQ(decoder.summary().packets, 2);
  EXPECT_EQ(decoder.summary().malformed + decoder.summary().not_tcp, 2);
  EXPECT_FALSE(decoder.summary().clean());
}

TEST(TraceDecoderTest, LinesShowRelativeSequenceAndOptions) {
  TraceDecoder decoder;
  const auto packets = Packets("kernel_mptcp.pcap");
  const std::string syn = decoder.Decode(packets[0], 1'000'000'000);
  EXPECT_NE(syn.find("[S]"), std::string::npos) << syn;
  EXPECT_NE(syn.find("seq 0"), std::string::npos) << syn;
  EXPECT_NE(syn.find("MP_CAPABLE v1"), std::string::npos) << syn;
  EXPECT_NE(syn.find("mss 1460"), std::string::npos) << syn;
  const std::string synack = decoder.Decode(packets[1], 1'000'050'000);
  EXPECT_NE(synack.find("ack 1 "), std::string::npos) << synack;
  EXPECT_NE(synack.find("0.000050"), std::string::npos) << synack;
}

}  // namespace
}  // namespace plait::wire
