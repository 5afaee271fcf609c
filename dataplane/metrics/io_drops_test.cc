#include "dataplane/metrics/io_drops.h"

#include <map>
#include <string>
#include <utility>

#include "gtest/gtest.h"

namespace plait::metrics {
namespace {

std::map<std::pair<std::string, std::string>, uint64_t> ByKey(
    const std::vector<IoDrop>& drops) {
  std::map<std::pair<std::string, std::string>, uint64_t> out;
  for (const IoDrop& d : drops) {
    EXPECT_TRUE(out.emplace(std::pair(d.direction, d.reason), d.count).second)
        << d.direction << "/" << d.reason << " twice";
  }
  return out;
}

TEST(IoDropsTest, TunDropsByDirection) {
  io::tun::TunDevice::Stats stats;
  stats.drops[static_cast<size_t>(io::tun::TunDevice::Drop::kNotIp)] = 3;
  stats.drops[static_cast<size_t>(io::tun::TunDevice::Drop::kQueueFull)] = 5;
  const auto drops = ByKey(TunIoDrops(stats));
  EXPECT_EQ(drops.size(), io::tun::TunDevice::kDropCount);
  EXPECT_EQ(drops.at({"received", "not_ip"}), 3u);
  EXPECT_EQ(drops.at({"received", "too_short"}), 0u);
  EXPECT_EQ(drops.at({"sent", "queue_full"}), 5u);
  EXPECT_EQ(drops.at({"sent", "too_large"}), 0u);
  EXPECT_EQ(drops.at({"sent", "write_error"}), 0u);
}

TEST(IoDropsTest, UdpListsEveryReason) {
  io::udp::UdpTransportConfig config;
  config.paths.push_back({*wire::IpAddress::Parse("127.0.0.1"),
                          {*wire::IpAddress::Parse("127.0.0.1"), 0}});
  auto transport =
      io::udp::UdpTransport::Create(config, [](absl::Span<const uint8_t>) {});
  ASSERT_TRUE(transport.ok()) << transport.status();
  // Not a whole IP packet: counted as malformed.
  const uint8_t not_ip[] = {0, 1, 2, 3};
  (*transport)->SendPacket(not_ip);
  const auto drops = ByKey(UdpIoDrops(**transport));
  EXPECT_EQ(drops.size(), io::udp::kDropReasonCount + 7);
  EXPECT_EQ(drops.at({"received", "bad_magic"}), 0u);
  EXPECT_EQ(drops.at({"received", "peer_mismatch"}), 0u);
  EXPECT_EQ(drops.at({"sent", "malformed"}), 1u);
  EXPECT_EQ(drops.at({"sent", "queue_full"}), 0u);
  EXPECT_EQ(drops.at({"sent", "send_error"}), 0u);
}

}  // namespace
}  // namespace plait::metrics
