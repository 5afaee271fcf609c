#include "sim/packet.h"

#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace plait::sim {
namespace {

class RecordingSink : public PacketSink {
 public:
  void Receive(Packet packet) override { packets.push_back(std::move(packet)); }
  std::vector<Packet> packets;
};

TEST(PacketTest, MovesThroughASinkIntact) {
  Packet packet;
  packet.bytes = {0x45, 0, 0, 20};
  packet.id = 7;
  packet.sent_at = TimeFromEpoch(Milliseconds(3));
  EXPECT_EQ(packet.size(), 4u);
  RecordingSink sink;
  PacketSink& as_sink = sink;
  as_sink.Receive(std::move(packet));
  ASSERT_EQ(sink.packets.size(), 1u);
  EXPECT_EQ(sink.packets[0].bytes, (std::vector<uint8_t>{0x45, 0, 0, 20}));
  EXPECT_EQ(sink.packets[0].id, 7u);
  EXPECT_EQ(sink.packets[0].sent_at, TimeFromEpoch(Milliseconds(3)));
}

}  // namespace
}  // namespace plait::sim
