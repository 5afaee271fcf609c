#include "dataplane/wire/pcap_file.h"

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "dataplane/wire/test_util.h"
#include "gtest/gtest.h"

namespace plait::wire {
namespace {

using testing_util::ReadFile;

absl::Span<const uint8_t> AsBytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// The capture made by testdata/capture_kernel_mptcp.sh: Ethernet frames from
// two veth interfaces, TCP to port 5201 plus whatever else crossed them.
TEST(PcapReaderTest, ReadsTheKernelCapture) {
  const std::vector<uint8_t> file =
      ReadFile("dataplane/wire/testdata/kernel_mptcp.pcap");
  ASSERT_GT(file.size(), 24u);
  auto reader = PcapReader::Open(file);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->link_type(), uint32_t(LinkType::kEthernet));
  PcapRecord record;
  int ip = 0;
  int other = 0;
  while (reader->Next(&record)) {
    // Two interfaces were captured at once: records are not in time order.
    EXPECT_GT(record.timestamp_ns, 1'600'000'000'000'000'000u);
    auto packet = IpPacketInFrame(reader->link_type(), record.data);
    if (packet.ok()) {
      ++ip;
      EXPECT_EQ((*packet)[0] >> 4, 4);  // the lab is IPv4 only
    } else {
      EXPECT_TRUE(absl::IsNotFound(packet.status())) << packet.status();
      ++other;
    }
  }
  EXPECT_TRUE(reader->error().ok()) << reader->error();
  EXPECT_GT(ip, 40);  // handshakes, three subflows, 24 kB of data, close
}

TEST(PcapWriterTest, RoundTripsThroughTheReader) {
  PcapWriter writer;
  const std::vector<uint8_t> a = {0x45, 1, 2, 3};
  const std::vector<uint8_t> b = {0x60, 9};
  writer.Add(1'500'000'123, a);
  writer.Add(2'000'000'000, b);
  auto reader = PcapReader::Open(AsBytes(writer.bytes()));
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(reader->link_type(), uint32_t(LinkType::kRaw));
  PcapRecord r;
  ASSERT_TRUE(reader->Next(&r));
  EXPECT_EQ(r.timestamp_ns, 1'500'000'123u);
  EXPECT_EQ(std::vector<uint8_t>(r.data.begin(), r.data.end()), a);
  ASSERT_TRUE(reader->Next(&r));
  EXPECT_EQ(r.timestamp_ns, 2'000'000'000u);
  EXPECT_EQ(r.original_length, 2u);
  EXPECT_FALSE(reader->Next(&r));
  EXPECT_TRUE(reader->error().ok());
}

// A packet above the declared snap length is cut to it, and the record keeps
// the packet's real size as its original length.
TEST(PcapWriterTest, TruncatesToTheSnapLength) {
  PcapWriter writer;
  const std::vector<uint8_t> big(PcapWriter::kSnapLength + 100, 0x45);
  writer.Add(1, big);
  auto reader = PcapReader::Open(AsBytes(writer.bytes()));
  ASSERT_TRUE(reader.ok());
  PcapRecord r;
  ASSERT_TRUE(reader->Next(&r));
  EXPECT_EQ(r.data.size(), PcapWriter::kSnapLength);
  EXPECT_EQ(r.original_length, big.size());
  EXPECT_FALSE(reader->Next(&r));
  EXPECT_TRUE(reader->error().ok());
}

// The upper 4 bits of the link-type field can carry FCS information.
TEST(PcapReaderTest, MasksFcsBitsOffTheLinkType) {
  PcapWriter writer;
  std::string bytes = writer.bytes();
  // Little-endian field: byte 23 holds bits 24..31. Bits 29..31 give the FCS
  // length in 16-bit words (2: a 4-byte FCS) and bit 28 says it is present.
  bytes[23] = static_cast<char>(0x50);
  auto reader = PcapReader::Open(AsBytes(bytes));
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(reader->link_type(), uint32_t(LinkType::kRaw));
}

TEST(PcapReaderTest, EveryTruncationIsAnErrorNotACrash) {
  PcapWriter writer;
  const std::vector<uint8_t> packet(40, 0x45);
  writer.Add(1, packet);
  writer.Add(2, packet);
  const std::string& whole = writer.bytes();
  for (size_t cut = 0; cut < whole.size(); ++cut) {
    // The reader keeps a view of the bytes: they must outlive it.
    const std::string prefix = whole.substr(0, cut);
    auto reader = PcapReader::Open(AsBytes(prefix));
    if (cut < 24) {
      EXPECT_FALSE(reader.ok()) << cut;
      continue;
    }
    ASSERT_TRUE(reader.ok()) << cut;
    PcapRecord r;
    int records = 0;
    while (reader->Next(&r)) ++records;
    const bool clean_end = cut == 24 || cut == 24 + 16 + 40;
    EXPECT_EQ(reader->error().ok(), clean_end) << "cut at " << cut;
    EXPECT_LE(records, 1);
  }
}

TEST(PcapReaderTest, NamesPcapngAndUnknownMagic) {
  std::vector<uint8_t> ng = {0x0a, 0x0d, 0x0d, 0x0a};
  ng.resize(28);
  auto r = PcapReader::Open(ng);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("pcapng"), std::string::npos);
  std::vector<uint8_t> junk(24, 0x11);
  r = PcapReader::Open(junk);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("0x11111111"), std::string::npos);
}

TEST(IpPacketInFrameTest, UnwrapsEthernetVlanAndSll) {
  std::vector<uint8_t> eth(14 + 4, 0);
  eth[12] = 0x08;
  eth[14] = 0x45;
  auto p = IpPacketInFrame(uint32_t(LinkType::kEthernet), eth);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->size(), 4u);
  EXPECT_EQ((*p)[0], 0x45);

  std::vector<uint8_t> vlan(18 + 2, 0);
  vlan[12] = 0x81;
  vlan[16] = 0x86;
  vlan[17] = 0xdd;
  vlan[18] = 0x60;
  p = IpPacketInFrame(uint32_t(LinkType::kEthernet), vlan);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)[0], 0x60);

  std::vector<uint8_t> sll(16 + 1, 0);
  sll[14] = 0x08;
  sll[16] = 0x45;
  p = IpPacketInFrame(uint32_t(LinkType::kLinuxSll), sll);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->size(), 1u);

  std::vector<uint8_t> arp(42, 0);
  arp[12] = 0x08;
  arp[13] = 0x06;
  EXPECT_TRUE(absl::IsNotFound(
      IpPacketInFrame(uint32_t(LinkType::kEthernet), arp).status()));
  EXPECT_FALSE(IpPacketInFrame(uint32_t(LinkType::kEthernet),
                               absl::MakeConstSpan(eth).subspan(0, 13))
                   .ok());
  EXPECT_FALSE(IpPacketInFrame(147, eth).ok());
}

}  // namespace
}  // namespace plait::wire
