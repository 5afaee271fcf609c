// TunDevice over a SOCK_SEQPACKET socket pair: like a TUN descriptor, each
// read returns one packet and each write sends one, so batching, queueing,
// blocking and the drop counters can be checked without root.
#include "dataplane/io/tun/tun_device.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "gtest/gtest.h"

namespace plait::io::tun {
namespace {

std::vector<uint8_t> Ipv4Packet(uint8_t tag, size_t size = 40) {
  std::vector<uint8_t> p(size, tag);
  p[0] = 0x45;
  return p;
}

std::vector<uint8_t> Ipv6Packet(uint8_t tag) {
  std::vector<uint8_t> p(60, tag);
  p[0] = 0x60;
  return p;
}

class TunDeviceTest : public ::testing::Test {
 protected:
  void Make(TunDeviceConfig config = {}) {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds), 0);
    peer_.reset(fds[1]);
    auto device = TunDevice::FromFd(
        runtime::ScopedFd(fds[0]), config, [this](absl::Span<const uint8_t> p) {
          received_.emplace_back(p.begin(), p.end());
        });
    ASSERT_TRUE(device.ok()) << device.status();
    device_ = std::move(*device);
  }
  void PeerWrites(const std::vector<uint8_t>& p) {
    ASSERT_EQ(write(peer_.get(), p.data(), p.size()), ssize_t(p.size()));
  }
  // The next packet the device wrote, or empty if none waits.
  std::vector<uint8_t> PeerReads() {
    std::vector<uint8_t> buffer(70000);
    const ssize_t n =
        recv(peer_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
    buffer.resize(n < 0 ? 0 : n);
    return buffer;
  }

  runtime::ScopedFd peer_;
  std::unique_ptr<TunDevice> device_;
  std::vector<std::vector<uint8_t>> received_;
};

TEST_F(TunDeviceTest, DeliversIpv4AndIpv6AndCountsWhatIsNotIp) {
  Make();
  PeerWrites(Ipv4Packet(1));
  PeerWrites(Ipv6Packet(2));
  PeerWrites({0x12, 0x34, 0x56});              // version 1
  PeerWrites(Ipv4Packet(3, 19));               // shorter than an IPv4 header
  PeerWrites(std::vector<uint8_t>(39, 0x60));  // shorter than IPv6's
  auto n = device_->OnReadable();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 5u);
  ASSERT_EQ(received_.size(), 2u);
  EXPECT_EQ(received_[0], Ipv4Packet(1));
  EXPECT_EQ(received_[1], Ipv6Packet(2));
  const auto& s = device_->stats();
  EXPECT_EQ(s.packets_in, 2u);
  EXPECT_EQ(s.bytes_in, 100u);
  EXPECT_EQ(s.dropped(TunDevice::Drop::kNotIp), 1u);
  EXPECT_EQ(s.dropped(TunDevice::Drop::kTooShort), 2u);
}

TEST_F(TunDeviceTest, ReadsAtMostOneBatchPerCall) {
  TunDeviceConfig config;
  config.read_batch = 4;
  Make(config);
  for (uint8_t i = 0; i < 10; ++i) PeerWrites(Ipv4Packet(i));
  std::vector<size_t> counts;
  for (int call = 0; call < 4; ++call) {
    auto n = device_->OnReadable();
    ASSERT_TRUE(n.ok());
    counts.push_back(*n);
  }
  EXPECT_EQ(counts, (std::vector<size_t>{4, 4, 2, 0}));
  ASSERT_EQ(received_.size(), 10u);
  for (uint8_t i = 0; i < 10; ++i) EXPECT_EQ(received_[i][1], i);
}

TEST_F(TunDeviceTest, QueuesUntilFlushAndDropsWhenTheQueueIsFull) {
  TunDeviceConfig config;
  config.write_queue_packets = 3;
  Make(config);
  for (uint8_t i = 0; i < 5; ++i) device_->SendPacket(Ipv4Packet(i));
  EXPECT_TRUE(PeerReads().empty());  // nothing before Flush
  EXPECT_EQ(device_->queued(), 3u);
  EXPECT_EQ(device_->stats().dropped(TunDevice::Drop::kQueueFull), 2u);
  ASSERT_TRUE(device_->Flush().ok());
  for (uint8_t i = 0; i < 3; ++i) EXPECT_EQ(PeerReads(), Ipv4Packet(i));
  EXPECT_TRUE(PeerReads().empty());
  EXPECT_EQ(device_->stats().packets_out, 3u);
  EXPECT_EQ(device_->stats().bytes_out, 120u);
  // The ring wraps around: slots are reused in order.
  for (uint8_t i = 10; i < 13; ++i) device_->SendPacket(Ipv4Packet(i));
  ASSERT_TRUE(device_->Flush().ok());
  for (uint8_t i = 10; i < 13; ++i) EXPECT_EQ(PeerReads(), Ipv4Packet(i));
}

TEST_F(TunDeviceTest, KeepsTheQueueWhenTheDeviceWouldBlock) {
  TunDeviceConfig config;
  config.write_queue_packets = 100000;
  Make(config);
  // Far more than the socket pair buffers: Flush must stop at EAGAIN.
  const size_t total = 20000;
  for (size_t i = 0; i < total; ++i) device_->SendPacket(Ipv4Packet(7, 1400));
  ASSERT_TRUE(device_->Flush().ok());
  ASSERT_TRUE(device_->WantsWritable());
  EXPECT_GT(device_->queued(), 0u);
  EXPECT_GE(device_->stats().write_blocked, 1u);
  size_t got = 0;
  while (device_->queued() > 0 || device_->WantsWritable()) {
    while (!PeerReads().empty()) ++got;
    ASSERT_TRUE(device_->Flush().ok());
  }
  while (!PeerReads().empty()) ++got;
  EXPECT_EQ(got, total);
  EXPECT_EQ(device_->stats().packets_out, total);
  EXPECT_EQ(device_->stats().dropped(TunDevice::Drop::kQueueFull), 0u);
}

TEST_F(TunDeviceTest, DropsPacketsLargerThanTheLimit) {
  TunDeviceConfig config;
  config.max_packet_bytes = 1500;
  Make(config);
  device_->SendPacket(Ipv4Packet(1, 1501));
  device_->SendPacket(Ipv4Packet(2, 1500));
  ASSERT_TRUE(device_->Flush().ok());
  EXPECT_EQ(PeerReads().size(), 1500u);
  EXPECT_EQ(device_->stats().dropped(TunDevice::Drop::kTooLarge), 1u);
}

}  // namespace
}  // namespace plait::io::tun
