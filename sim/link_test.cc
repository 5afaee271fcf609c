#include "sim/link.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace plait::sim {
namespace {

Time Ms(int64_t ms) { return TimeFromEpoch(Milliseconds(ms)); }
Time Us(int64_t us) { return TimeFromEpoch(Microseconds(us)); }

struct Delivery {
  uint64_t id;
  Time at;
  friend bool operator==(const Delivery&, const Delivery&) = default;
};

class RecordingSink : public PacketSink {
 public:
  explicit RecordingSink(const Simulator* sim) : sim_(sim) {}
  void Receive(Packet packet) override {
    log.push_back({packet.id, sim_->now()});
  }
  std::vector<uint64_t> ids() const {
    std::vector<uint64_t> out;
    for (const Delivery& d : log) out.push_back(d.id);
    return out;
  }
  std::vector<Delivery> log;

 private:
  const Simulator* sim_;
};

Packet MakePacket(uint64_t id, size_t size) {
  Packet packet;
  packet.bytes.assign(size, 0);
  packet.id = id;
  return packet;
}

// Offers packet `id` of `size` bytes to the link at time `at`.
void SendAt(Simulator& sim, Link& link, Time at, uint64_t id, size_t size) {
  sim.Schedule(at, [&link, id, size] { link.Receive(MakePacket(id, size)); });
}

struct DropRecord {
  uint64_t id;
  Time at;
  DropCause cause;
};

TEST(LinkTest, TransmissionTimeRoundsUp) {
  Simulator sim;
  LinkConfig config;
  config.rate_bps = 8'000'000;
  Link link(&sim, config, Random(1));
  EXPECT_EQ(link.TransmissionTime(1000), Milliseconds(1));
  EXPECT_EQ(link.TransmissionTime(1500), Microseconds(1500));
  config.rate_bps = 3;
  Link slow(&sim, config, Random(1));
  EXPECT_EQ(slow.TransmissionTime(1), Nanoseconds(2'666'666'667));
  Link infinite(&sim, LinkConfig{}, Random(1));
  EXPECT_EQ(infinite.TransmissionTime(1'000'000), Duration::zero());
}

TEST(LinkTest, PacketTrainDeliveryTimes) {
  Simulator sim;
  RecordingSink sink(&sim);
  LinkConfig config;
  config.rate_bps = 8'000'000;  // 1000 bytes per millisecond
  config.delay = Milliseconds(10);
  Link link(&sim, config, Random(1), &sink);
  for (uint64_t id = 1; id <= 5; ++id) SendAt(sim, link, Ms(0), id, 1000);
  // A 500-byte packet arriving after the train has drained.
  SendAt(sim, link, Ms(20), 6, 500);
  sim.RunUntilIdle();
  EXPECT_EQ(sink.log, (std::vector<Delivery>{{1, Ms(11)},
                                             {2, Ms(12)},
                                             {3, Ms(13)},
                                             {4, Ms(14)},
                                             {5, Ms(15)},
                                             {6, Us(30'500)}}));
  const LinkStats stats = link.stats();
  EXPECT_EQ(stats.offered_packets, 6u);
  EXPECT_EQ(stats.offered_bytes, 5500u);
  EXPECT_EQ(stats.delivered_packets, 6u);
  EXPECT_EQ(stats.delivered_bytes, 5500u);
  EXPECT_EQ(stats.total_dropped_packets(), 0u);
  EXPECT_EQ(stats.busy_time, Microseconds(5500));
  // The first packet goes straight to the serializer; four wait.
  EXPECT_EQ(stats.max_queue_bytes, 4000u);
}

TEST(LinkTest, UtilizationOverAnInterval) {
  Simulator sim;
  RecordingSink sink(&sim);
  LinkConfig config;
  config.rate_bps = 8'000'000;
  Link link(&sim, config, Random(1), &sink);
  for (uint64_t id = 1; id <= 3; ++id) SendAt(sim, link, Ms(2), id, 1000);
  const LinkStats start = link.stats();
  sim.RunUntil(Us(3500));  // in the middle of the second packet
  const LinkStats middle = link.stats();
  EXPECT_EQ(middle.busy_time, Microseconds(1500));
  sim.RunUntil(Ms(10));
  const LinkStats end = link.stats();
  EXPECT_DOUBLE_EQ(Utilization(start, middle), 1500.0 / 3500.0);
  EXPECT_DOUBLE_EQ(Utilization(start, end), 0.3);
  EXPECT_DOUBLE_EQ(Utilization(end, end), 0.0);
}

TEST(LinkTest, InfiniteRateDeliversAfterDelayOnlyInOrder) {
  Simulator sim;
  RecordingSink sink(&sim);
  LinkConfig config;
  config.delay = Milliseconds(7);
  Link link(&sim, config, Random(1), &sink);
  for (uint64_t id = 1; id <= 3; ++id) SendAt(sim, link, Ms(1), id, 9000);
  sim.RunUntilIdle();
  EXPECT_EQ(sink.log,
            (std::vector<Delivery>{{1, Ms(8)}, {2, Ms(8)}, {3, Ms(8)}}));
  EXPECT_EQ(link.stats().max_queue_bytes, 0u);
  EXPECT_EQ(link.stats().busy_time, Duration::zero());
}

TEST(LinkTest, DropTailQueueOverflow) {
  Simulator sim;
  RecordingSink sink(&sim);
  LinkConfig config;
  config.rate_bps = 8'000'000;
  config.queue_limit_bytes = 3000;
  Link link(&sim, config, Random(1), &sink);
  std::vector<uint64_t> dropped;
  link.set_drop_observer([&](const Packet& p, DropCause cause) {
    EXPECT_EQ(cause, DropCause::kQueue);
    dropped.push_back(p.id);
  });
  for (uint64_t id = 1; id <= 10; ++id) SendAt(sim, link, Ms(0), id, 1000);
  // By 2.5 ms two packets have left the queue: room for two more.
  for (uint64_t id = 11; id <= 13; ++id) SendAt(sim, link, Us(2500), id, 1000);
  sim.RunUntilIdle();
  // One in the serializer plus three queued; the other six are dropped.
  EXPECT_EQ(dropped, (std::vector<uint64_t>{5, 6, 7, 8, 9, 10, 13}));
  EXPECT_EQ(sink.ids(), (std::vector<uint64_t>{1, 2, 3, 4, 11, 12}));
  const LinkStats stats = link.stats();
  EXPECT_EQ(stats.dropped(DropCause::kQueue), 7u);
  EXPECT_EQ(stats.dropped_bytes[static_cast<size_t>(DropCause::kQueue)], 7000u);
  EXPECT_EQ(stats.max_queue_bytes, 3000u);
  EXPECT_EQ(stats.delivered_packets + stats.total_dropped_packets(),
            stats.offered_packets);
}

TEST(LinkTest, MtuDropsLargerPackets) {
  Simulator sim;
  RecordingSink sink(&sim);
  LinkConfig config;
  config.mtu = 1500;
  Link link(&sim, config, Random(1), &sink);
  SendAt(sim, link, Ms(0), 1, 1500);
  SendAt(sim, link, Ms(0), 2, 1501);
  sim.RunUntilIdle();
  EXPECT_EQ(sink.ids(), (std::vector<uint64_t>{1}));
  EXPECT_EQ(link.stats().dropped(DropCause::kMtu), 1u);
}

TEST(LinkTest, CoDelDropsUnderAPersistentStandingQueue) {
  Simulator sim;
  RecordingSink sink(&sim);
  LinkConfig config;
  config.rate_bps = 8'000'000;  // one 1000-byte packet per millisecond
  config.aqm = Aqm::kCoDel;
  Link link(&sim, config, Random(1), &sink);
  std::vector<DropRecord> drops;
  link.set_drop_observer([&](const Packet& p, DropCause cause) {
    drops.push_back({p.id, sim.now(), cause});
  });
  // 1.25 times the link rate for 2 s: packet k arrives at 0.8 k ms and, until
  // the first drop, starts transmission at k ms, having waited 0.2 k ms. It
  // is above the 5 ms target from packet 25 (at 25 ms), so the first drop is
  // at 125 ms, of packet 125; packet 126 is sent instead, and the next drop
  // comes an interval later at 225 ms, of packet 226.
  for (uint64_t k = 0; k < 2500; ++k) {
    SendAt(sim, link, Us(800 * static_cast<int64_t>(k)), k, 1000);
  }
  sim.RunUntilIdle();
  ASSERT_GE(drops.size(), 2u);
  EXPECT_EQ(drops[0].id, 125u);
  EXPECT_EQ(drops[0].at, Ms(125));
  EXPECT_EQ(drops[0].cause, DropCause::kAqm);
  EXPECT_EQ(drops[1].id, 226u);
  EXPECT_EQ(drops[1].at, Ms(225));
  const LinkStats stats = link.stats();
  EXPECT_EQ(stats.dropped(DropCause::kAqm), drops.size());
  // Golden (no randomness involved): drops accelerate as sqrt(count) until
  // the queue drains at 2.36 s.
  EXPECT_EQ(stats.dropped(DropCause::kAqm), 141u);
  // Without AQM the same load queues 500 packets.
  Simulator sim2;
  RecordingSink sink2(&sim2);
  config.aqm = Aqm::kDropTail;
  Link tail(&sim2, config, Random(1), &sink2);
  for (uint64_t k = 0; k < 2500; ++k) {
    SendAt(sim2, tail, Us(800 * static_cast<int64_t>(k)), k, 1000);
  }
  sim2.RunUntilIdle();
  EXPECT_EQ(tail.stats().total_dropped_packets(), 0u);
  EXPECT_GT(tail.stats().max_queue_bytes, 490'000u);
  // CoDel's drop rate grows with sqrt(count): against an unresponsive 25%
  // overload it slows the queue's growth but needs seconds to stop it.
  EXPECT_LT(stats.max_queue_bytes, tail.stats().max_queue_bytes);
}

TEST(LinkTest, CoDelLetsAShortBurstThrough) {
  Simulator sim;
  RecordingSink sink(&sim);
  LinkConfig config;
  config.rate_bps = 8'000'000;
  config.aqm = Aqm::kCoDel;
  Link link(&sim, config, Random(1), &sink);
  // 60 packets at once: the last waits 59 ms, above target for 54 ms, less
  // than an interval.
  for (uint64_t id = 0; id < 60; ++id) SendAt(sim, link, Ms(0), id, 1000);
  // And again after the queue has drained.
  for (uint64_t id = 60; id < 120; ++id) SendAt(sim, link, Ms(200), id, 1000);
  sim.RunUntilIdle();
  EXPECT_EQ(link.stats().dropped(DropCause::kAqm), 0u);
  EXPECT_EQ(sink.log.size(), 120u);
  EXPECT_EQ(sink.log.back().at, Ms(260));
}

TEST(LinkTest, GilbertElliottLossComesInBursts) {
  Simulator sim(2024);
  RecordingSink sink(&sim);
  LinkConfig config;
  config.gilbert_elliott =
      GilbertElliott{.p_good_to_bad = 0.01, .p_bad_to_good = 0.25};
  Link link(&sim, config, sim.random().Fork(1), &sink);
  std::vector<uint64_t> lost;
  link.set_drop_observer([&](const Packet& p, DropCause cause) {
    EXPECT_EQ(cause, DropCause::kBurstLoss);
    lost.push_back(p.id);
  });
  const uint64_t n = 200'000;
  for (uint64_t id = 0; id < n; ++id) link.Receive(MakePacket(id, 100));
  sim.RunUntilIdle();
  // Runs of consecutive lost ids.
  std::vector<int> bursts;
  for (size_t i = 0; i < lost.size(); ++i) {
    if (i == 0 || lost[i] != lost[i - 1] + 1) bursts.push_back(0);
    ++bursts.back();
  }
  double mean = 0;
  for (int b : bursts) mean += b;
  mean /= bursts.size();
  // Geometric bursts: mean 1 / p_bad_to_good = 4 (standard error ~0.08).
  EXPECT_NEAR(mean, 4.0, 0.4);
  // Stationary loss rate p_gb / (p_gb + p_bg) = 1 / 26.
  EXPECT_NEAR(static_cast<double>(lost.size()) / n, 1.0 / 26, 0.004);
  EXPECT_EQ(link.stats().dropped(DropCause::kBurstLoss), lost.size());
  EXPECT_EQ(sink.log.size() + lost.size(), n);
  // Independent loss at the same rate has bursts of mean ~1 / (1 - p).
  Simulator sim2(2024);
  RecordingSink sink2(&sim2);
  LinkConfig random_config;
  random_config.loss = 1.0 / 26;
  Link random_link(&sim2, random_config, sim2.random().Fork(1), &sink2);
  std::vector<uint64_t> lost2;
  random_link.set_drop_observer([&](const Packet& p, DropCause cause) {
    EXPECT_EQ(cause, DropCause::kRandomLoss);
    lost2.push_back(p.id);
  });
  for (uint64_t id = 0; id < n; ++id) random_link.Receive(MakePacket(id, 100));
  sim2.RunUntilIdle();
  int runs = 0;
  for (size_t i = 0; i < lost2.size(); ++i) {
    runs += i == 0 || lost2[i] != lost2[i - 1] + 1;
  }
  EXPECT_LT(static_cast<double>(lost2.size()) / runs, 1.1);
  EXPECT_NEAR(static_cast<double>(lost2.size()) / n, 1.0 / 26, 0.003);
}

TEST(LinkTest, JitterKeepsFifoOrder) {
  Simulator sim(5);
  RecordingSink sink(&sim);
  LinkConfig config;
  config.delay = Milliseconds(10);
  config.jitter = Milliseconds(5);
  Link link(&sim, config, sim.random().Fork(1), &sink);
  for (uint64_t id = 0; id < 1000; ++id) {
    SendAt(sim, link, Ms(static_cast<int64_t>(id)), id, 100);
  }
  sim.RunUntilIdle();
  ASSERT_EQ(sink.log.size(), 1000u);
  bool some_jitter = false;
  for (uint64_t id = 0; id < 1000; ++id) {
    EXPECT_EQ(sink.log[id].id, id);
    const Duration one_way = sink.log[id].at - Ms(static_cast<int64_t>(id));
    EXPECT_GE(one_way, Milliseconds(10));
    EXPECT_LE(one_way, Milliseconds(15));
    some_jitter |= one_way > Milliseconds(11);
  }
  EXPECT_TRUE(some_jitter);
}

TEST(LinkTest, ReorderedPacketsAreDelayedAndOvertaken) {
  Simulator sim(9);
  RecordingSink sink(&sim);
  LinkConfig config;
  config.delay = Milliseconds(10);
  config.reorder_probability = 0.2;
  config.reorder_extra_delay = Milliseconds(3);
  Link link(&sim, config, sim.random().Fork(1), &sink);
  for (uint64_t id = 0; id < 1000; ++id) {
    SendAt(sim, link, Ms(static_cast<int64_t>(id)), id, 100);
  }
  sim.RunUntilIdle();
  ASSERT_EQ(sink.log.size(), 1000u);
  int reordered = 0, out_of_order = 0;
  for (size_t i = 0; i < sink.log.size(); ++i) {
    const Duration one_way =
        sink.log[i].at - Ms(static_cast<int64_t>(sink.log[i].id));
    if (one_way == Milliseconds(13)) {
      ++reordered;
    } else {
      EXPECT_EQ(one_way, Milliseconds(10));
    }
    if (i > 0 && sink.log[i].id < sink.log[i - 1].id) ++out_of_order;
  }
  EXPECT_NEAR(reordered, 200, 60);
  EXPECT_GT(out_of_order, 100);
}

TEST(LinkTest, DownDropsEverythingHeldAndUpResumes) {
  Simulator sim;
  RecordingSink sink(&sim);
  LinkConfig config;
  config.rate_bps = 8'000'000;
  config.delay = Milliseconds(10);
  Link link(&sim, config, Random(1), &sink);
  std::vector<std::pair<uint64_t, DropCause>> dropped;
  link.set_drop_observer([&](const Packet& p, DropCause cause) {
    dropped.push_back({p.id, cause});
  });
  for (uint64_t id = 1; id <= 5; ++id) SendAt(sim, link, Ms(0), id, 1000);
  // At 2.5 ms: packets 1 and 2 are propagating, 3 is being transmitted,
  // 4 and 5 are queued.
  link.ScheduleFlaps({{Us(2500), false}, {Ms(20), true}});
  SendAt(sim, link, Ms(5), 6, 1000);   // offered while down
  SendAt(sim, link, Ms(20), 7, 1000);  // just after coming up
  sim.RunUntil(Ms(4));
  EXPECT_FALSE(link.is_up());
  EXPECT_EQ(link.queue_bytes(), 0u);
  sim.RunUntilIdle();
  EXPECT_TRUE(link.is_up());
  EXPECT_EQ(dropped, (std::vector<std::pair<uint64_t, DropCause>>{
                         {1, DropCause::kDown},
                         {2, DropCause::kDown},
                         {3, DropCause::kDown},
                         {4, DropCause::kDown},
                         {5, DropCause::kDown},
                         {6, DropCause::kDown}}));
  EXPECT_EQ(sink.log, (std::vector<Delivery>{{7, Ms(31)}}));
  const LinkStats stats = link.stats();
  EXPECT_EQ(stats.dropped(DropCause::kDown), 6u);
  // Two whole transmissions, half of the third, and packet 7.
  EXPECT_EQ(stats.busy_time, Microseconds(3500));
  link.SetUp(true);  // already up: nothing happens
  EXPECT_TRUE(link.is_up());
}

// Everything random at once; returns the delivery log.
std::vector<Delivery> RunImpairedLink(uint64_t seed) {
  Simulator sim(seed);
  RecordingSink sink(&sim);
  LinkConfig config;
  config.rate_bps = 10'000'000;
  config.delay = Milliseconds(20);
  config.jitter = Milliseconds(2);
  config.loss = 0.02;
  config.gilbert_elliott = GilbertElliott{.p_good_to_bad = 0.01,
                                          .p_bad_to_good = 0.3,
                                          .loss_in_good = 0,
                                          .loss_in_bad = 0.8};
  config.reorder_probability = 0.05;
  config.reorder_extra_delay = Milliseconds(4);
  config.queue_limit_bytes = 20'000;
  config.aqm = Aqm::kCoDel;
  // Another link drawing from the same simulator must not matter.
  Link other(&sim, config, sim.random().Fork(2), nullptr);
  Link link(&sim, config, sim.random().Fork(1), &sink);
  for (uint64_t id = 0; id < 3000; ++id) {
    const Time at = Us(static_cast<int64_t>(id) * 900);
    const size_t size = 500 + (id * 37) % 1000;
    SendAt(sim, link, at, id, size);
    SendAt(sim, other, at, id, size);
  }
  sim.RunUntilIdle();
  return sink.log;
}

TEST(LinkTest, SameSeedSameDeliveryLog) {
  const std::vector<Delivery> a = RunImpairedLink(77);
  const std::vector<Delivery> b = RunImpairedLink(77);
  const std::vector<Delivery> c = RunImpairedLink(78);
  EXPECT_GT(a.size(), 2000u);
  EXPECT_LT(a.size(), 3000u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(LinkTest, DestroyingALinkCancelsItsEvents) {
  Simulator sim;
  RecordingSink sink(&sim);
  {
    LinkConfig config;
    config.rate_bps = 8'000'000;
    config.delay = Milliseconds(10);
    Link link(&sim, config, Random(1), &sink);
    link.Receive(MakePacket(1, 1000));
    link.Receive(MakePacket(2, 1000));
    link.ScheduleFlaps({{Ms(50), false}});
    sim.RunUntil(Us(1500));
  }
  EXPECT_EQ(sim.pending_events(), 0u);
  sim.RunUntilIdle();
  EXPECT_TRUE(sink.log.empty());
}

TEST(LinkTest, DropCauseNames) {
  EXPECT_STREQ(DropCauseName(DropCause::kQueue), "queue");
  EXPECT_STREQ(DropCauseName(DropCause::kAqm), "aqm");
  EXPECT_STREQ(DropCauseName(DropCause::kRandomLoss), "random_loss");
  EXPECT_STREQ(DropCauseName(DropCause::kBurstLoss), "burst_loss");
  EXPECT_STREQ(DropCauseName(DropCause::kMtu), "mtu");
  EXPECT_STREQ(DropCauseName(DropCause::kDown), "down");
}

}  // namespace
}  // namespace plait::sim
