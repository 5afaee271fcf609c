#include "dataplane/sched/ecf.h"

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
using ::plait::sched::testing::Subflow;
using ::testing::ElementsAre;
using ::testing::Optional;

// Fast subflow 1: srtt 10 ms, rttvar 2 ms, cwnd 10000 bytes, all in flight.
SubflowView Fast() {
  SubflowView fast = Subflow(1, Milliseconds(10), 10000, 10000);
  fast.rttvar = Milliseconds(2);
  return fast;
}

// Slow subflow 2: srtt `srtt_ms`, rttvar 5 ms, cwnd 10000 bytes, empty.
SubflowView Slow(int64_t srtt_ms = 100) {
  SubflowView slow = Subflow(2, Milliseconds(srtt_ms), 10000);
  slow.rttvar = Milliseconds(5);
  return slow;
}

// k bytes waiting to be scheduled, 1000-byte chunks, window wide open.
ConnectionView K(uint64_t k) { return Connection(k, 1000); }

bool SendsOnSlow(const Decision& decision) {
  return decision.action == Action::kSend && decision.targets.size() == 1 &&
         decision.targets[0] == Target{2, 1000};
}

bool WaitsForFast(const Decision& decision) {
  return decision.action == Action::kWaitForFaster &&
         decision.wait_for_subflow_id == 1u && decision.targets.empty();
}

// Fast 10 ms and slow 100 ms, delta = max(2, 5) = 5 ms, cwnds 10000:
//   Rule 1: 10 * (max(k, 10000) + 10000) < (1 + waiting / 4) * 10000 * 105
//     waiting 0: k + 10000 < 105000, i.e. k < 95000;
//     waiting 1: 4 * 10 * (k + 10000) < 5 * 1050000, i.e. k < 121250.
//   Then 100 * max(k, 10000) >= 10000 * (2 * 10 + 5) = 250000 holds for any
//   k, so rule 1 always means "wait".
TEST(EcfTest, WaitsForTheFastSubflowWithHysteresis) {
  EcfScheduler scheduler;
  EXPECT_STREQ(scheduler.name(), "ecf");
  const std::vector<SubflowView> subflows = {Fast(), Slow()};
  EXPECT_FALSE(scheduler.waiting());
  // k = 95000: 10 * 105000 = 1050000, not < 1050000: rule 2, use slow.
  EXPECT_TRUE(SendsOnSlow(scheduler.Schedule(K(95000), subflows)));
  EXPECT_FALSE(scheduler.waiting());
  // k = 94999: 1049990 < 1050000: wait.
  Decision decision = scheduler.Schedule(K(94999), subflows);
  EXPECT_TRUE(WaitsForFast(decision));
  EXPECT_THAT(decision.wait_for_subflow_id, Optional(1u));
  EXPECT_TRUE(scheduler.waiting());
  // Waiting: beta widens the margin; k = 95000 now waits too
  // (4 * 1050000 < 5 * 1050000), and so does k = 121249
  // (4 * 1312490 = 5249960 < 5250000).
  EXPECT_TRUE(WaitsForFast(scheduler.Schedule(K(95000), subflows)));
  EXPECT_TRUE(WaitsForFast(scheduler.Schedule(K(121249), subflows)));
  EXPECT_TRUE(scheduler.waiting());
  // k = 121250: 4 * 1312500 = 5250000, not <: use slow, stop waiting.
  EXPECT_TRUE(SendsOnSlow(scheduler.Schedule(K(121250), subflows)));
  EXPECT_FALSE(scheduler.waiting());
  EXPECT_TRUE(SendsOnSlow(scheduler.Schedule(K(95000), subflows)));
}

// Fast 10 ms, slow 20 ms, delta 5 ms:
//   Rule 1 (waiting 0): 10 * (max(k, 10000) + 10000) < 10000 * 25, i.e.
//   k < 15000.
//   Second test: 20 * max(k, 10000) >= 10000 * (2 * 10 + 5) = 250000, i.e.
//   k >= 12500 waits; below, the slow subflow is used and waiting is left
//   as it was.
TEST(EcfTest, UsesTheSlowSubflowWhenItCompletesSoonEnough) {
  EcfScheduler scheduler;
  const std::vector<SubflowView> subflows = {Fast(), Slow(20)};
  // k = 12000: 220000 < 250000, then 240000 < 250000: use slow.
  EXPECT_TRUE(SendsOnSlow(scheduler.Schedule(K(12000), subflows)));
  EXPECT_FALSE(scheduler.waiting());
  // k = 12500: 225000 < 250000, then 250000 >= 250000: wait.
  EXPECT_TRUE(WaitsForFast(scheduler.Schedule(K(12500), subflows)));
  EXPECT_TRUE(scheduler.waiting());
  // k = 12000 again: use slow, but waiting stays set.
  EXPECT_TRUE(SendsOnSlow(scheduler.Schedule(K(12000), subflows)));
  EXPECT_TRUE(scheduler.waiting());
  // Little data (k below cwnd): x_f = x_s = 10000: 200000 < 250000, then
  // 200000 < 250000: use slow.
  EXPECT_TRUE(SendsOnSlow(scheduler.Schedule(K(1000), subflows)));
  // k = 15000 with waiting: 4 * 250000 < 5 * 250000, then 300000 >= 250000:
  // wait. k = 21250: 4 * 312500 = 1250000, not < 1250000: rule 2.
  EXPECT_TRUE(WaitsForFast(scheduler.Schedule(K(15000), subflows)));
  EXPECT_TRUE(SendsOnSlow(scheduler.Schedule(K(21250), subflows)));
  EXPECT_FALSE(scheduler.waiting());
}

// delta is the larger rttvar: with rttvar_f = 15 ms, delta = 15 ms and
// k = 95000 gives 1050000 < 10000 * 115 = 1150000: wait (it sent with
// delta 5 ms above).
TEST(EcfTest, DeltaIsTheLargerRttvar) {
  EcfScheduler scheduler;
  SubflowView fast = Fast();
  fast.rttvar = Milliseconds(15);
  EXPECT_TRUE(
      WaitsForFast(scheduler.Schedule(K(95000), std::vector{fast, Slow()})));
}

TEST(EcfTest, NoWaitWhenTheFastestHasRoom) {
  EcfScheduler scheduler;
  scheduler.Schedule(K(50000), std::vector{Fast(), Slow()});
  ASSERT_TRUE(scheduler.waiting());
  SubflowView fast = Fast();
  fast.bytes_in_flight = 0;
  const Decision decision =
      scheduler.Schedule(K(50000), std::vector{fast, Slow()});
  EXPECT_THAT(decision.targets, ElementsAre(Target{1, 1000}));
  EXPECT_TRUE(scheduler.waiting());  // untouched when the fastest is chosen
}

TEST(EcfTest, NeverWaitsForABackupOrFailedSubflow) {
  EcfScheduler scheduler;
  EXPECT_TRUE(SendsOnSlow(
      scheduler.Schedule(K(50000), std::vector{Backup(Fast()), Slow()})));
  EXPECT_TRUE(SendsOnSlow(
      scheduler.Schedule(K(50000), std::vector{Failed(Fast()), Slow()})));
  EXPECT_FALSE(scheduler.waiting());
  // Only backups usable: the same logic runs among them.
  EXPECT_TRUE(WaitsForFast(scheduler.Schedule(
      K(50000), std::vector{Failed(Subflow(3, Milliseconds(1), 1000)),
                            Backup(Fast()), Backup(Slow())})));
}

TEST(EcfTest, ConnectionAndSubflowLimits) {
  EcfScheduler scheduler;
  EXPECT_EQ(scheduler.Schedule(K(0), std::vector{Fast(), Slow()}).action,
            Action::kNothingToSend);
  SubflowView slow = Slow();
  slow.bytes_in_flight = 10000;
  EXPECT_EQ(scheduler.Schedule(K(50000), std::vector{Fast(), slow}).action,
            Action::kNoRoom);
  EXPECT_FALSE(scheduler.waiting());
}

}  // namespace
}  // namespace plait::sched
