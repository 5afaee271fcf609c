#include "sim/pcap_tap.h"

#include <vector>

#include "dataplane/wire/pcap_file.h"
#include "gtest/gtest.h"
#include "sim/test_packets.h"

namespace plait::sim {
namespace {

class CountingSink : public PacketSink {
 public:
  void Receive(Packet packet) override { ids.push_back(packet.id); }
  std::vector<uint64_t> ids;
};

TEST(PcapTapTest, RecordsWithVirtualTimeAndForwards) {
  Simulator sim;
  CountingSink sink;
  PcapTap tap(&sim, &sink);
  testing::TcpPacketSpec spec;
  spec.src = testing::Addr("10.0.0.1");
  spec.dst = testing::Addr("10.0.0.2");
  const std::vector<uint8_t> first = testing::BuildTcpPacket(spec);
  spec.payload_size = 5;
  const std::vector<uint8_t> second = testing::BuildTcpPacket(spec);
  sim.Schedule(TimeFromEpoch(Microseconds(1500)), [&] {
    tap.Receive(Packet{first, 1, sim.now()});
  });
  sim.Schedule(TimeFromEpoch(Seconds(2) + Nanoseconds(7)), [&] {
    tap.Receive(Packet{second, 2, sim.now()});
  });
  sim.RunUntilIdle();
  EXPECT_EQ(sink.ids, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(tap.packets(), 2u);

  const std::string& file = tap.bytes();
  auto reader = wire::PcapReader::Open(absl::MakeConstSpan(
      reinterpret_cast<const uint8_t*>(file.data()), file.size()));
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->link_type(), static_cast<uint32_t>(wire::LinkType::kRaw));
  wire::PcapRecord record;
  ASSERT_TRUE(reader->Next(&record));
  EXPECT_EQ(record.timestamp_ns, 1'500'000u);
  EXPECT_EQ(std::vector<uint8_t>(record.data.begin(), record.data.end()),
            first);
  ASSERT_TRUE(reader->Next(&record));
  EXPECT_EQ(record.timestamp_ns, 2'000'000'007u);
  EXPECT_EQ(record.original_length, second.size());
  EXPECT_FALSE(reader->Next(&record));
  EXPECT_TRUE(reader->error().ok());
}

TEST(PcapTapTest, WorksAsTheEndOfAPath) {
  Simulator sim;
  PcapTap tap(&sim);
  tap.Receive(Packet{{0x45, 0, 0, 0}, 1, sim.now()});
  EXPECT_EQ(tap.packets(), 1u);
  EXPECT_EQ(tap.bytes().size(), 24u + 16u + 4u);
}

}  // namespace
}  // namespace plait::sim
