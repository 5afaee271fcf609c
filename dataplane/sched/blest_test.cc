#include "dataplane/sched/blest.h"

#include <cstdint>
#include <vector>

#include "dataplane/base/time.h"
#include "dataplane/sched/scheduler.h"
#include "dataplane/sched/test_views.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plait::sched {
namespace {

using ::plait::sched::testing::Backup;
using ::plait::sched::testing::Connection;
using ::plait::sched::testing::Failed;
using ::plait::sched::testing::kT0;
using ::plait::sched::testing::Subflow;
using ::testing::ElementsAre;
using ::testing::Optional;

// Fast subflow 1: srtt 10 ms, cwnd 10 segments of 1000 bytes, all in flight
// (no room), ssthresh 5 segments (congestion avoidance).
SubflowView Fast() {
  SubflowView fast = Subflow(1, Milliseconds(10), 10000, 10000);
  fast.ssthresh_bytes = 5000;
  return fast;
}

// Slow subflow 2: srtt 100 ms, cwnd 10 segments, nothing in flight.
SubflowView Slow() { return Subflow(2, Milliseconds(100), 10000); }

// 50000 bytes waiting, 1000-byte chunks, the peer's window `window` with the
// fast subflow's 10000 bytes in flight.
ConnectionView Conn(uint64_t window, Time now = kT0) {
  ConnectionView connection = Connection(50000, 1000, now);
  connection.send_window_bytes = window;
  connection.bytes_in_flight = 10000;
  return connection;
}

// With a fresh scheduler every srtt range is the current srtt:
//   linger(slow) = max(100 ms, 100 ms + 0) = 100 ms;
//   n = 100 ms / avg 10 ms + 1 = 11 fast RTTs;
//   congestion avoidance: packets = (max(10, 5 + 1) + (11 - 1) / 2) * 11
//                                  = 15 * 11 = 165;
//   fast_bytes = 165 * 1000 * 1.2 = 198000.
//   avail = window - (chunk 1000 + slow in flight 0).
// So a window of 199000 (avail 198000, not < fast_bytes) uses the slow
// subflow and 198999 (avail 197999) waits.
TEST(BlestTest, WaitsWhenTheSlowSubflowWouldBlockTheFastOne) {
  BlestScheduler scheduler;
  EXPECT_STREQ(scheduler.name(), "blest");
  const std::vector<SubflowView> subflows = {Fast(), Slow()};
  EXPECT_EQ(scheduler.LingerTime(Slow()), Milliseconds(100));
  EXPECT_EQ(scheduler.FastBytes(Fast(), Milliseconds(100)), 198000u);

  Decision decision = scheduler.Schedule(Conn(198999), subflows);
  EXPECT_EQ(decision.action, Action::kWaitForFaster);
  EXPECT_THAT(decision.wait_for_subflow_id, Optional(1u));
  EXPECT_TRUE(decision.targets.empty());

  decision = scheduler.Schedule(Conn(199000), subflows);
  EXPECT_EQ(decision.action, Action::kSend);
  EXPECT_THAT(decision.targets, ElementsAre(Target{2, 1000}));
  EXPECT_EQ(scheduler.lambda_1000(), 1200);  // no time passed: no update
}

// The slow subflow's own in-flight and queued bytes hold window space too:
// in flight 4000 and queued 1000 (room 5000, chunk 1000):
//   inflight for the linger = 4000 + 1000 = 5000 < cwnd, range 100..100 ms,
//   so linger is still 100 ms and fast_bytes 198000;
//   slow_bytes = 1000 + 4000 + 1000 = 6000: window 204000 sends, 203999
//   waits.
TEST(BlestTest, SlowSubflowsBytesOccupyTheWindow) {
  BlestScheduler scheduler;
  SubflowView slow = Slow();
  slow.bytes_in_flight = 4000;
  slow.queued_unsent_bytes = 1000;
  const std::vector<SubflowView> subflows = {Fast(), slow};
  EXPECT_EQ(scheduler.Schedule(Conn(203999), subflows).action,
            Action::kWaitForFaster);
  EXPECT_THAT(scheduler.Schedule(Conn(204000), subflows).targets,
              ElementsAre(Target{2, 1000}));
}

// Fast subflow in initial slow start (ssthresh infinite):
//   packets = 10 * (2^11 - 1) = 20470; fast_bytes = 20470 * 1000 * 1.2
//   = 24564000; window 24565000 sends (avail 24564000), 24564999 waits.
TEST(BlestTest, FastSubflowInSlowStart) {
  BlestScheduler scheduler;
  SubflowView fast = Fast();
  fast.ssthresh_bytes = kInfiniteSsthresh;
  const std::vector<SubflowView> subflows = {fast, Slow()};
  EXPECT_EQ(scheduler.Schedule(Conn(24564999), subflows).action,
            Action::kWaitForFaster);
  EXPECT_EQ(scheduler.Schedule(Conn(24565000), subflows).action, Action::kSend);
}

// Linger 1 s over a 10 ms fast RTT: n = 101.
//   Slow start caps n at 16: 10 * (2^16 - 1) * 1000 * 1.2 = 786420000.
//   Congestion avoidance: (10 + 50) * 101 = 6060 packets -> 7272000.
TEST(BlestTest, FastBytesEstimate) {
  BlestScheduler scheduler;
  SubflowView fast = Fast();
  EXPECT_EQ(scheduler.FastBytes(fast, Seconds(1)), 7272000u);
  fast.ssthresh_bytes = kInfiniteSsthresh;
  EXPECT_EQ(scheduler.FastBytes(fast, Seconds(1)), 786420000u);
  // A linger shorter than one fast RTT still counts one RTT: 10 * 1 packets
  // in slow start, max(10, 6) * 1 in congestion avoidance.
  EXPECT_EQ(scheduler.FastBytes(fast, Milliseconds(5)), 12000u);
  fast.ssthresh_bytes = 5000;
  EXPECT_EQ(scheduler.FastBytes(fast, Milliseconds(5)), 12000u);
}

// The slow subflow's srtt was seen at 140 ms then 100 ms: range 100..140.
//   In flight 4000: inflight 5000 < cwnd 10000, estimate = 100 + 40 * 5000 /
//   10000 = 120 ms > srtt 100 ms, so linger = 120 ms.
//   n = 120 / 10 + 1 = 13; packets = (10 + 6) * 13 = 208; fast_bytes =
//   208 * 1000 * 1.2 = 249600; slow_bytes = 1000 + 4000: window 254600
//   sends, 254599 waits.
//   In flight 9000: inflight 10000 >= cwnd: linger = max srtt = 140 ms.
TEST(BlestTest, LingerInterpolatesOverTheObservedRttRange) {
  BlestScheduler scheduler;
  SubflowView slow = Slow();
  slow.srtt = Milliseconds(140);
  scheduler.Schedule(Conn(1 << 30), std::vector{Fast(), slow});
  slow.srtt = Milliseconds(100);
  slow.bytes_in_flight = 4000;
  const std::vector<SubflowView> subflows = {Fast(), slow};
  EXPECT_EQ(scheduler.Schedule(Conn(254599), subflows).action,
            Action::kWaitForFaster);
  EXPECT_EQ(scheduler.LingerTime(slow), Milliseconds(120));
  EXPECT_THAT(scheduler.Schedule(Conn(254600), subflows).targets,
              ElementsAre(Target{2, 1000}));
  slow.bytes_in_flight = 9000;
  EXPECT_EQ(scheduler.LingerTime(slow), Milliseconds(140));
  // A current srtt above the estimate wins.
  slow.srtt = Milliseconds(150);
  EXPECT_EQ(scheduler.LingerTime(slow), Milliseconds(150));
}

// lambda moves at most once per min srtt of the slow subflow (100 ms):
// -0.01 without window blocking, +0.04 after it, within [1.0, 1.3].
TEST(BlestTest, LambdaAdapts) {
  BlestScheduler scheduler;
  const std::vector<SubflowView> subflows = {Fast(), Slow()};
  // At lambda 1.2, avail 196350 < 198000: wait.
  EXPECT_EQ(scheduler.Schedule(Conn(197350, kT0), subflows).action,
            Action::kWaitForFaster);
  EXPECT_EQ(
      scheduler.Schedule(Conn(197350, kT0 + Milliseconds(99)), subflows).action,
      Action::kWaitForFaster);
  EXPECT_EQ(scheduler.lambda_1000(), 1200);
  // 100 ms after the first call lambda drops to 1.19: fast_bytes =
  // 165 * 1000 * 1.19 = 196350, not above avail 196350: send.
  EXPECT_EQ(scheduler.Schedule(Conn(197350, kT0 + Milliseconds(100)), subflows)
                .action,
            Action::kSend);
  EXPECT_EQ(scheduler.lambda_1000(), 1190);
  // The peer's window blocks (10000 in flight, window 10000).
  EXPECT_EQ(
      scheduler.Schedule(Conn(10000, kT0 + Milliseconds(150)), subflows).action,
      Action::kWindowFull);
  scheduler.Schedule(Conn(1 << 30, kT0 + Milliseconds(199)), subflows);
  EXPECT_EQ(scheduler.lambda_1000(), 1190);
  scheduler.Schedule(Conn(1 << 30, kT0 + Milliseconds(200)), subflows);
  EXPECT_EQ(scheduler.lambda_1000(), 1230);
  scheduler.Schedule(Conn(1 << 30, kT0 + Milliseconds(300)), subflows);
  EXPECT_EQ(scheduler.lambda_1000(), 1220);
  // Blocked every period: 1.26, 1.30, then capped.
  Time now = kT0 + Milliseconds(300);
  for (int i = 0; i < 3; ++i) {
    scheduler.Schedule(Conn(10000, now + Milliseconds(50)), subflows);
    now += Milliseconds(100);
    scheduler.Schedule(Conn(1 << 30, now), subflows);
  }
  EXPECT_EQ(scheduler.lambda_1000(), 1300);
  // Never blocked: down to the 1.0 floor.
  for (int i = 0; i < 40; ++i) {
    now += Milliseconds(100);
    scheduler.Schedule(Conn(1 << 30, now), subflows);
  }
  EXPECT_EQ(scheduler.lambda_1000(), 1000);
}

TEST(BlestTest, NoWaitWhenTheFastestHasRoomOrIsNotFaster) {
  BlestScheduler scheduler;
  SubflowView fast = Fast();
  fast.bytes_in_flight = 0;
  EXPECT_THAT(
      scheduler.Schedule(Conn(11000), std::vector{fast, Slow()}).targets,
      ElementsAre(Target{1, 1000}));
  // Equal srtt: nothing to gain by waiting, even with a tiny window.
  SubflowView same = Slow();
  same.srtt = Milliseconds(10);
  EXPECT_THAT(
      scheduler.Schedule(Conn(11000), std::vector{Fast(), same}).targets,
      ElementsAre(Target{2, 1000}));
}

TEST(BlestTest, NeverWaitsForABackupOrFailedSubflow) {
  BlestScheduler scheduler;
  // Window 11000: waiting would be chosen if the fast subflow counted.
  EXPECT_THAT(
      scheduler.Schedule(Conn(11000), std::vector{Backup(Fast()), Slow()})
          .targets,
      ElementsAre(Target{2, 1000}));
  EXPECT_THAT(
      scheduler.Schedule(Conn(11000), std::vector{Failed(Fast()), Slow()})
          .targets,
      ElementsAre(Target{2, 1000}));
  EXPECT_EQ(scheduler.Schedule(Conn(11000), std::vector{Fast(), Slow()}).action,
            Action::kWaitForFaster);
  // Only backups usable: the same logic runs among them.
  EXPECT_EQ(scheduler
                .Schedule(Conn(11000),
                          std::vector{Failed(Subflow(3, Milliseconds(1), 1000)),
                                      Backup(Fast()), Backup(Slow())})
                .action,
            Action::kWaitForFaster);
}

}  // namespace
}  // namespace plait::sched
