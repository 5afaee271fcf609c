#include "sim/node.h"

#include <memory>
#include <tuple>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "sim/link.h"
#include "sim/simulator.h"
#include "sim/test_packets.h"

namespace plait::sim {
namespace {

using testing::Addr;

class RecordingSink : public PacketSink {
 public:
  void Receive(Packet packet) override { ids.push_back(packet.id); }
  std::vector<uint64_t> ids;
};

Packet TcpPacket(uint64_t id, const char* src, const char* dst,
                 size_t payload = 0) {
  testing::TcpPacketSpec spec;
  spec.src = Addr(src);
  spec.dst = Addr(dst);
  spec.payload_size = payload;
  return Packet{testing::BuildTcpPacket(spec), id, Time{}};
}

TEST(HostTest, PacketsLeaveByTheLinkOfTheirSourceAddress) {
  RecordingSink wifi, lte, fallback;
  Host host({Addr("10.0.0.1")});
  host.SetLink(Addr("10.0.0.1"), &wifi);
  host.SetLink(Addr("10.9.0.1"), &lte);  // adds the address
  EXPECT_TRUE(host.HasAddress(Addr("10.9.0.1")));
  EXPECT_EQ(host.addresses().size(), 2u);

  host.Send(TcpPacket(1, "10.0.0.1", "192.0.2.1"));
  host.Send(TcpPacket(2, "10.9.0.1", "192.0.2.1"));
  host.Send(TcpPacket(3, "10.5.5.5", "192.0.2.1"));  // no link, no default
  EXPECT_EQ(wifi.ids, (std::vector<uint64_t>{1}));
  EXPECT_EQ(lte.ids, (std::vector<uint64_t>{2}));
  EXPECT_EQ(host.stats().sent, 2u);
  EXPECT_EQ(host.stats().unroutable, 1u);

  host.SetDefaultLink(&fallback);
  host.Send(TcpPacket(4, "10.5.5.5", "192.0.2.1"));
  EXPECT_EQ(fallback.ids, (std::vector<uint64_t>{4}));
  host.Send(Packet{{1, 2, 3}, 5, Time{}});
  EXPECT_EQ(host.stats().malformed, 1u);
}

TEST(HostTest, DeliversOwnPacketsAndCountsOthersAsMisdelivered) {
  Host host({Addr("10.0.0.1"), Addr("fd00::1")});
  std::vector<uint64_t> received;
  host.SetHandler([&](Packet p) { received.push_back(p.id); });
  host.Receive(TcpPacket(1, "10.0.0.9", "10.0.0.1"));
  host.Receive(TcpPacket(2, "fd00::9", "fd00::1"));
  host.Receive(TcpPacket(3, "10.0.0.9", "10.0.0.2"));
  host.Receive(Packet{{0x45}, 4, Time{}});
  EXPECT_EQ(received, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(host.stats().received, 2u);
  EXPECT_EQ(host.stats().misdelivered, 1u);
  EXPECT_EQ(host.stats().malformed, 1u);
}

TEST(RouterTest, LongestPrefixMatch) {
  RecordingSink wide, narrow, host_route, fallback, v6;
  Router router;
  ASSERT_TRUE(router.AddRoute(Addr("10.0.0.0"), 8, &wide).ok());
  ASSERT_TRUE(router.AddRoute(Addr("10.1.0.0"), 16, &narrow).ok());
  ASSERT_TRUE(router.AddRoute(Addr("10.1.2.3"), 32, &host_route).ok());
  ASSERT_TRUE(router.AddRoute(Addr("2001:db8::"), 32, &v6).ok());
  EXPECT_EQ(router.Lookup(Addr("10.200.0.1")), &wide);
  EXPECT_EQ(router.Lookup(Addr("10.1.7.7")), &narrow);
  EXPECT_EQ(router.Lookup(Addr("10.1.2.3")), &host_route);
  EXPECT_EQ(router.Lookup(Addr("2001:db8:ffff::1")), &v6);
  EXPECT_EQ(router.Lookup(Addr("11.0.0.1")), nullptr);
  EXPECT_EQ(router.Lookup(Addr("2001:db9::1")), nullptr);
  // An IPv4 default route does not catch IPv6.
  ASSERT_TRUE(router.AddRoute(Addr("0.0.0.0"), 0, &fallback).ok());
  EXPECT_EQ(router.Lookup(Addr("11.0.0.1")), &fallback);
  EXPECT_EQ(router.Lookup(Addr("2001:db9::1")), nullptr);
  // Host bits beyond the length are ignored; the same prefix replaces.
  ASSERT_TRUE(router.AddRoute(Addr("10.1.99.99"), 16, &fallback).ok());
  EXPECT_EQ(router.Lookup(Addr("10.1.7.7")), &fallback);
  // A non-byte-aligned prefix.
  ASSERT_TRUE(router.AddRoute(Addr("192.168.4.0"), 22, &narrow).ok());
  EXPECT_EQ(router.Lookup(Addr("192.168.7.255")), &narrow);
  EXPECT_EQ(router.Lookup(Addr("192.168.8.0")), &fallback);

  EXPECT_FALSE(router.AddRoute(Addr("10.0.0.0"), 33, &wide).ok());
  EXPECT_FALSE(router.AddRoute(Addr("::"), 129, &wide).ok());
  EXPECT_FALSE(router.AddRoute(Addr("::"), -1, &wide).ok());
}

TEST(RouterTest, ForwardsAndCountsUnroutable) {
  RecordingSink out;
  Router router;
  ASSERT_TRUE(router.AddRoute(Addr("10.0.0.0"), 8, &out).ok());
  router.Receive(TcpPacket(1, "192.0.2.1", "10.3.3.3"));
  router.Receive(TcpPacket(2, "10.3.3.3", "192.0.2.1"));
  router.Receive(Packet{{}, 3, Time{}});
  EXPECT_EQ(out.ids, (std::vector<uint64_t>{1}));
  EXPECT_EQ(router.stats().forwarded, 1u);
  EXPECT_EQ(router.stats().unroutable, 2u);
}

// Two senders share one bottleneck:
//   a1, a2 -> access links -> r1 -> bottleneck -> r2 -> access links -> b1, b2
// and the reverse path through a second bottleneck link.
class SharedBottleneckTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kAccessRate = 100'000'000;
  static constexpr uint64_t kBottleneckRate = 10'000'000;

  SharedBottleneckTest() {
    uint64_t stream = 0;
    auto link = [&](uint64_t rate, Duration delay, PacketSink* to) {
      LinkConfig config;
      config.rate_bps = rate;
      config.delay = delay;
      config.queue_limit_bytes = rate == kBottleneckRate ? 200'000 : 0;
      links_.push_back(std::make_unique<Link>(
          &sim_, config, sim_.random().Fork(stream++), to));
      return links_.back().get();
    };
    const Duration access_delay = Milliseconds(1);
    forward_bottleneck_ = link(kBottleneckRate, Milliseconds(10), &r2_);
    reverse_bottleneck_ = link(kBottleneckRate, Milliseconds(10), &r1_);
    for (auto [host, address, router] : {std::tuple{&a1_, "10.0.1.1", &r1_},
                                         {&a2_, "10.0.1.2", &r1_},
                                         {&b1_, "10.0.2.1", &r2_},
                                         {&b2_, "10.0.2.2", &r2_}}) {
      host->SetLink(Addr(address), link(kAccessRate, access_delay, router));
      EXPECT_TRUE(router
                      ->AddRoute(Addr(address), 32,
                                 link(kAccessRate, access_delay, host))
                      .ok());
      host->SetHandler([this, host](Packet p) {
        deliveries_.push_back({host, p.id, sim_.now()});
      });
    }
    EXPECT_TRUE(r1_.AddRoute(Addr("10.0.2.0"), 24, forward_bottleneck_).ok());
    EXPECT_TRUE(r2_.AddRoute(Addr("10.0.1.0"), 24, reverse_bottleneck_).ok());
  }

  struct Delivery {
    Host* host;
    uint64_t id;
    Time at;
  };

  Simulator sim_{1};
  Host a1_, a2_, b1_, b2_;
  Router r1_, r2_;
  std::vector<std::unique_ptr<Link>> links_;
  Link* forward_bottleneck_;
  Link* reverse_bottleneck_;
  std::vector<Delivery> deliveries_;
};

TEST_F(SharedBottleneckTest, TwoSendersShareTheBottleneck) {
  // 50 packets of 1250 bytes from each sender at t=0: 100 us each on an
  // access link, 1 ms each on the bottleneck.
  for (uint64_t i = 0; i < 50; ++i) {
    a1_.Send(TcpPacket(100 + i, "10.0.1.1", "10.0.2.1", 1210));
    a2_.Send(TcpPacket(200 + i, "10.0.1.2", "10.0.2.2", 1210));
  }
  const LinkStats start = forward_bottleneck_->stats();
  sim_.RunUntilIdle();
  ASSERT_EQ(deliveries_.size(), 100u);
  int to_b1 = 0;
  for (const Delivery& d : deliveries_) {
    if (d.host == &b1_) {
      ++to_b1;
      EXPECT_GE(d.id, 100u);
      EXPECT_LT(d.id, 150u);
    } else {
      EXPECT_EQ(d.host, &b2_);
      EXPECT_GE(d.id, 200u);
    }
  }
  EXPECT_EQ(to_b1, 50);
  // The first packet reaches r1 at 1.1 ms; from then the bottleneck is
  // never idle: the 100th leaves it at 101.1 ms, reaches r2 at 111.1 ms and
  // b2 after 100 us + 1 ms more.
  EXPECT_EQ(deliveries_.front().at, TimeFromEpoch(Microseconds(13'200)));
  EXPECT_EQ(deliveries_.back().at, TimeFromEpoch(Microseconds(112'200)));
  const LinkStats end = forward_bottleneck_->stats();
  EXPECT_EQ(end.busy_time, Milliseconds(100));
  EXPECT_EQ(end.delivered_packets, 100u);
  EXPECT_GT(end.max_queue_bytes, 40u * 1250);
  EXPECT_EQ(r1_.stats().forwarded, 100u);
  EXPECT_EQ(r2_.stats().forwarded, 100u);
  EXPECT_EQ(b1_.stats().received + b2_.stats().received, 100u);
  EXPECT_NEAR(Utilization(start, end), 100.0 / 112.2, 1e-9);

  // And back: b1 answers a1 through the reverse bottleneck.
  deliveries_.clear();
  const Time sent = sim_.now();
  b1_.Send(TcpPacket(999, "10.0.2.1", "10.0.1.1"));
  sim_.RunUntilIdle();
  ASSERT_EQ(deliveries_.size(), 1u);
  EXPECT_EQ(deliveries_[0].host, &a1_);
  // 40 bytes: 3.2 us per access link and 32 us on the bottleneck.
  EXPECT_EQ(deliveries_[0].at - sent,
            Milliseconds(12) + Nanoseconds(3200 * 2 + 32'000));
  EXPECT_EQ(reverse_bottleneck_->stats().delivered_packets, 1u);
}

}  // namespace
}  // namespace plait::sim
