#include "dataplane/wire/trace_decoder.h"

#include <fstream>
#include <iterator>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "dataplane/crypto/keys.h"
#include "dataplane/wire/checksum.h"
#include "dataplane/wire/dss_checksum.h"
#include "dataplane/wire/option_writer.h"
#include "dataplane/wire/pcap_file.h"
#include "dataplane/wire/test_util.h"
#include "gtest/gtest.h"

namespace plait::wire {
namespace {

std::vector<std::vector<uint8_t>> Packets(const std::string& name) {
  return testing_util::CapturePackets(name);
}

// The kernel computed these DSS checksums; ours must agree on every one,
// including mappings spread over three segments and bare DATA_FINs. The
// capture holds 17 checksummed mappings on the wire but 15 distinct ones:
// frames 80 and 82 repeat the DATA_FIN mappings of frames 75 and 76 on the
// same subflows (the ACK of the peer's FIN carries it again), and a repeated
// mapping is counted once.
TEST(TraceDecoderTest, VerifiesEveryKernelDssChecksum) {
  TraceDecoder decoder;
  for (const auto& packet : Packets("kernel_mptcp_checksum.pcap")) {
    decoder.Decode(packet, 0);
  }
  const TraceSummary& summary = decoder.summary();
  EXPECT_TRUE(summary.clean()) << summary.ToString();
  EXPECT_EQ(summary.dss_checksums_ok, 15) << summary.ToString();
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
  EXPECT_EQ(decoder.summary().dss_checksums_ok, 14);
  EXPECT_FALSE(decoder.summary().clean());
}

TEST(TraceDecoderTest, CountsWhatItCannotDecode) {
  TraceDecoder decoder;
  const std::vector<uint8_t> garbage = {0x45, 0x00, 0x00};
  const std::string line = decoder.Decode(garbage, 0);
  EXPECT_NE(line.find("not decoded"), std::string::npos) << line;
  EXPECT_EQ(decoder.summary().malformed, 1);

  std::vector<uint8_t> udp = Packets("kernel_mptcp.pcap").front();
  ASSERT_EQ(udp[0], 0x45);  // IPv4, 20-byte header
  udp[9] = 17;              // protocol UDP
  udp[10] = udp[11] = 0;    // recompute the header checksum
  InternetChecksum sum;
  sum.Add(absl::MakeConstSpan(udp).subspan(0, 20));
  const uint16_t checksum = sum.Finish();
  udp[10] = static_cast<uint8_t>(checksum >> 8);
  udp[11] = static_cast<uint8_t>(checksum);
  const std::string udp_line = decoder.Decode(udp, 0);
  EXPECT_NE(udp_line.find("not TCP"), std::string::npos) << udp_line;
  EXPECT_EQ(decoder.summary().packets, 2);
  EXPECT_EQ(decoder.summary().malformed, 1);
  EXPECT_EQ(decoder.summary().not_tcp, 1);
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

// One direction of a subflow built with the wire writers: 10.0.0.1:40000 >
// 10.0.0.2:80, initial sequence number kIsn.
constexpr uint32_t kIsn = 1000;

std::vector<uint8_t> BuildSegment(uint32_t relative_seq, uint8_t flags,
                                  const std::vector<MptcpOption>& mptcp,
                                  absl::Span<const uint8_t> payload) {
  OptionWriter writer;
  for (const MptcpOption& option : mptcp) writer.Add(option);
  auto layout = writer.Finish();
  EXPECT_TRUE(layout.ok()) << layout.status();
  const absl::Span<const uint8_t> options =
      layout.ok() ? layout->option_bytes() : absl::Span<const uint8_t>();
  const IpAddress src = IpAddress::V4(0x0a000001);
  const IpAddress dst = IpAddress::V4(0x0a000002);
  std::vector<uint8_t> tcp(20 + options.size() + payload.size());
  ByteWriter tcp_out(absl::MakeSpan(tcp));
  TcpHeaderFields fields;
  fields.src_port = 40000;
  fields.dst_port = 80;
  fields.seq = kIsn + relative_seq;
  fields.flags = flags;
  fields.window = 1000;
  EXPECT_TRUE(WriteTcpHeader(fields, options, tcp_out).ok());
  tcp_out.WriteBytes(payload);
  EXPECT_TRUE(FillTcpChecksum(src, dst, absl::MakeSpan(tcp)).ok());
  std::vector<uint8_t> packet(20 + tcp.size());
  ByteWriter out(absl::MakeSpan(packet));
  Ipv4HeaderFields ip;
  ip.src = src;
  ip.dst = dst;
  EXPECT_TRUE(WriteIpv4Header(ip, tcp.size(), out).ok());
  out.WriteBytes(tcp);
  EXPECT_TRUE(out.ok());
  return packet;
}

std::vector<uint8_t> Syn() {
  return BuildSegment(0, TcpHeader::kSyn,
                      {MpCapable::Syn(kMpcFlagA | kMpcFlagH)}, {});
}

std::vector<uint8_t> Payload(size_t n) {
  std::vector<uint8_t> bytes(n);
  std::iota(bytes.begin(), bytes.end(), uint8_t{7});
  return bytes;
}

// A DSS with a checksummed mapping of `bytes` at dsn / relative ssn.
Dss Mapping(uint64_t dsn, uint32_t ssn, absl::Span<const uint8_t> bytes) {
  Dss dss;
  dss.data_ack = 1;
  dss.mapping =
      DssMapping{.dsn = dsn,
                 .dsn_64 = true,
                 .subflow_seq = ssn,
                 .data_level_length = static_cast<uint16_t>(bytes.size()),
                 .checksum = DssChecksum(dsn, ssn, bytes.size(), bytes)};
  return dss;
}

absl::Span<const uint8_t> Part(const std::vector<uint8_t>& bytes, size_t from,
                               size_t to) {
  return absl::MakeConstSpan(bytes).subspan(from, to - from);
}

constexpr uint8_t kAckPsh = TcpHeader::kAck | TcpHeader::kPsh;

// A capture that starts after the SYN cannot place the mapped bytes, so each
// checksummed mapping is counted as not checkable, once, rather than skipped.
TEST(TraceDecoderTest, MappingsOfFlowsWithoutTheirSynAreUnchecked) {
  TraceDecoder decoder;
  int syns = 0;
  for (const auto& packet : Packets("kernel_mptcp_checksum.pcap")) {
    auto segment = ParseSegment(packet);
    ASSERT_TRUE(segment.ok());
    if (segment->tcp.has(TcpHeader::kSyn)) {
      ++syns;
      continue;
    }
    decoder.Decode(packet, 0);
  }
  ASSERT_GT(syns, 0);
  const TraceSummary& summary = decoder.summary();
  EXPECT_EQ(summary.dss_checksums_ok, 0) << summary.ToString();
  EXPECT_EQ(summary.dss_checksums_bad, 0) << summary.ToString();
  // The 15 mappings the full capture verifies, each counted once although
  // Linux repeats a mapping on every segment that carries part of it.
  EXPECT_EQ(summary.dss_checksums_unchecked, 15) << summary.ToString();

  TraceDecoder built;
  const std::vector<uint8_t> data = Payload(100);
  const std::string line =
      built.Decode(BuildSegment(1, kAckPsh, {Mapping(5000, 1, data)}, data), 0);
  EXPECT_NE(line.find("not checkable"), std::string::npos) << line;
  EXPECT_EQ(built.summary().dss_checksums_unchecked, 1);
}

// An MP_CAPABLE ACK carrying data with a checksum (the 24-byte variant) maps
// its data at DSN = IDSN(sender key) + 1, subflow sequence 1; the data may
// span segments, like a DSS mapping's.
TEST(TraceDecoderTest, VerifiesTheMpCapableDataChecksum) {
  constexpr uint64_t kKeyA = 0x1122334455667788;
  constexpr uint64_t kKeyB = 0x99aabbccddeeff00;
  const std::vector<uint8_t> data = Payload(300);
  const uint64_t dsn = crypto::IdsnFromKey(kKeyA) + 1;
  const uint16_t good = DssChecksum(dsn, 1, data.size(), data);
  auto data_segments = [&](uint16_t checksum) {
    const MpCapable mpc =
        MpCapable::AckWithData(kMpcFlagA | kMpcFlagH, kKeyA, kKeyB,
                               static_cast<uint16_t>(data.size()), checksum);
    return std::vector<std::vector<uint8_t>>{
        BuildSegment(1, kAckPsh, {mpc}, Part(data, 0, 120)),
        BuildSegment(121, kAckPsh, {}, Part(data, 120, 300))};
  };

  TraceDecoder decoder;
  decoder.Decode(Syn(), 0);
  const auto segments = data_segments(good);
  decoder.Decode(segments[0], 0);
  const std::string last = decoder.Decode(segments[1], 0);
  EXPECT_NE(last.find("mp_capable csum ok"), std::string::npos) << last;
  EXPECT_EQ(decoder.summary().dss_checksums_ok, 1);
  EXPECT_EQ(decoder.summary().dss_checksums_bad, 0);
  EXPECT_EQ(decoder.summary().dss_checksums_unchecked, 0);
  EXPECT_TRUE(decoder.summary().clean()) << decoder.summary().ToString();

  TraceDecoder wrong;
  wrong.Decode(Syn(), 0);
  for (const auto& segment : data_segments(good ^ 0x0100)) {
    wrong.Decode(segment, 0);
  }
  EXPECT_EQ(wrong.summary().dss_checksums_ok, 0);
  EXPECT_EQ(wrong.summary().dss_checksums_bad, 1);
  EXPECT_FALSE(wrong.summary().clean());

  TraceDecoder no_syn;
  for (const auto& segment : data_segments(good)) no_syn.Decode(segment, 0);
  EXPECT_EQ(no_syn.summary().dss_checksums_ok, 0);
  EXPECT_EQ(no_syn.summary().dss_checksums_unchecked, 1);
}

// Retransmitted segments are not counted twice; a retransmission of an older
// mapping leaves the mapping being collected alone; a segment that overlaps
// bytes already collected contributes only its new tail.
TEST(TraceDecoderTest, RetransmissionsAreCountedOnce) {
  const std::vector<uint8_t> a = Payload(100);
  const std::vector<uint8_t> b = Payload(300);
  const uint64_t dsn = 0x0123456789abcdef;
  const Dss map_a = Mapping(dsn, 1, a);
  const Dss map_b = Mapping(dsn + 100, 101, b);
  const std::vector<uint8_t> segment_a = BuildSegment(1, kAckPsh, {map_a}, a);
  const std::vector<uint8_t> last_b =
      BuildSegment(301, kAckPsh, {map_b}, Part(b, 200, 300));

  TraceDecoder decoder;
  decoder.Decode(Syn(), 0);
  EXPECT_NE(decoder.Decode(segment_a, 0).find("dss csum ok"),
            std::string::npos);
  // The same segment again: mapping A was counted already.
  decoder.Decode(segment_a, 0);
  EXPECT_EQ(decoder.summary().dss_checksums_ok, 1);
  // Mapping B, first 100 bytes.
  decoder.Decode(BuildSegment(101, kAckPsh, {map_b}, Part(b, 0, 100)), 0);
  // Mapping A retransmitted while B is being collected.
  decoder.Decode(segment_a, 0);
  // Bytes 50..200 of B: 50..100 were collected, 100..200 are new.
  decoder.Decode(BuildSegment(151, kAckPsh, {map_b}, Part(b, 50, 200)), 0);
  const std::string line = decoder.Decode(last_b, 0);
  EXPECT_NE(line.find("dss csum ok"), std::string::npos) << line;
  // B's last segment and A's again, after B completed.
  decoder.Decode(last_b, 0);
  decoder.Decode(segment_a, 0);

  const TraceSummary& summary = decoder.summary();
  EXPECT_EQ(summary.dss_checksums_ok, 2) << summary.ToString();
  EXPECT_EQ(summary.dss_checksums_bad, 0) << summary.ToString();
  EXPECT_EQ(summary.dss_checksums_unchecked, 0) << summary.ToString();
}

// A gap in the capture makes a mapping uncheckable, counted once even though
// later segments repeat the mapping.
TEST(TraceDecoderTest, MissingBytesMakeAMappingUncheckableOnce) {
  const std::vector<uint8_t> b = Payload(300);
  const Dss map_b = Mapping(77, 1, b);
  TraceDecoder decoder;
  decoder.Decode(Syn(), 0);
  decoder.Decode(BuildSegment(1, kAckPsh, {map_b}, Part(b, 0, 100)), 0);
  // 100..200 lost.
  const std::string line =
      decoder.Decode(BuildSegment(201, kAckPsh, {map_b}, Part(b, 200, 300)), 0);
  EXPECT_NE(line.find("bytes missing"), std::string::npos) << line;
  decoder.Decode(BuildSegment(201, kAckPsh, {map_b}, Part(b, 200, 300)), 0);
  EXPECT_EQ(decoder.summary().dss_checksums_unchecked, 1);
  EXPECT_EQ(decoder.summary().dss_checksums_ok, 0);
}

// The kernel capture with one multi-segment data segment retransmitted right
// after itself, and an older one retransmitted in the middle of a mapping:
// still every mapping checked exactly once.
TEST(TraceDecoderTest, KernelCaptureWithRetransmissionsStillChecksOnce) {
  const std::vector<std::vector<uint8_t>> packets =
      Packets("kernel_mptcp_checksum.pcap");
  std::vector<std::vector<uint8_t>> replayed;
  std::optional<std::vector<uint8_t>> first_data;
  int inserted = 0;
  for (const auto& packet : packets) {
    auto segment = ParseSegment(packet);
    ASSERT_TRUE(segment.ok());
    const bool data = !segment->tcp.payload.empty();
    replayed.push_back(packet);
    if (!data) continue;
    if (!first_data) {
      first_data = packet;
      continue;
    }
    // Every later data segment is followed by a copy of itself and of the
    // flow's first data segment (which belongs to an older mapping when the
    // two are on the same subflow, and is ignored either way).
    replayed.push_back(packet);
    replayed.push_back(*first_data);
    ++inserted;
  }
  ASSERT_GT(inserted, 5);
  TraceDecoder decoder;
  for (const auto& packet : replayed) decoder.Decode(packet, 0);
  const TraceSummary& summary = decoder.summary();
  EXPECT_EQ(summary.dss_checksums_ok, 15) << summary.ToString();
  EXPECT_EQ(summary.dss_checksums_bad, 0);
  EXPECT_EQ(summary.dss_checksums_unchecked, 0);
}

}  // namespace
}  // namespace plait::wire
