#include "dataplane/runtime/timer_queue.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "dataplane/base/time.h"
#include "gtest/gtest.h"

namespace plait::runtime {
namespace {

Time At(int64_t ms) { return TimeFromEpoch(Milliseconds(ms)); }

size_t RunDue(TimerQueue& q, Time now) {
  return q.RunExpired(now, [](Time) {});
}

TEST(TimerQueueTest, RunsDueTimersEarliestFirstAndTiesInArmingOrder) {
  TimerQueue q;
  std::vector<int> order;
  auto add = [&](int tag, int64_t ms) {
    q.Arm(q.Add([&order, tag] { order.push_back(tag); }, true), At(ms));
  };
  add(1, 30);
  add(2, 10);
  add(3, 20);
  add(4, 10);  // same deadline as 2, armed later
  add(5, 50);
  EXPECT_EQ(q.NextDeadline(), At(10));
  EXPECT_EQ(RunDue(q, At(30)), 4u);
  EXPECT_EQ(order, (std::vector<int>{2, 4, 3, 1}));
  EXPECT_EQ(q.NextDeadline(), At(50));
  EXPECT_EQ(RunDue(q, At(49)), 0u);
  EXPECT_EQ(RunDue(q, At(50)), 1u);
  EXPECT_EQ(q.NextDeadline(), kNever);
  EXPECT_EQ(q.size(), 0u);  // one-shot timers are forgotten
}

TEST(TimerQueueTest, BeforeEachSeesTheDeadline) {
  TimerQueue q;
  q.Arm(q.Add([] {}, true), At(7));
  std::vector<Time> seen;
  q.RunExpired(At(9), [&](Time d) { seen.push_back(d); });
  EXPECT_EQ(seen, std::vector<Time>{At(7)});
}

TEST(TimerQueueTest, CancelDisarmAndStaleIds) {
  TimerQueue q;
  int runs = 0;
  const TimerQueue::Id a = q.Add([&] { ++runs; }, true);
  const TimerQueue::Id b = q.Add([&] { ++runs; }, false);
  q.Arm(a, At(1));
  q.Arm(b, At(2));
  EXPECT_TRUE(q.Remove(a));
  EXPECT_FALSE(q.Remove(a));
  EXPECT_FALSE(q.Arm(a, At(3)));
  EXPECT_TRUE(q.Disarm(b));
  EXPECT_FALSE(q.IsArmed(b));
  EXPECT_TRUE(q.Contains(b));
  EXPECT_EQ(RunDue(q, At(100)), 0u);
  EXPECT_EQ(runs, 0);
  EXPECT_FALSE(q.Arm(TimerQueue::kInvalidId, At(1)));
  EXPECT_FALSE(q.Arm(12345, At(1)));
}

TEST(TimerQueueTest, RearmMovesTheDeadlineBothWays) {
  TimerQueue q;
  std::vector<int> order;
  const TimerQueue::Id a = q.Add([&] { order.push_back(1); }, false);
  const TimerQueue::Id b = q.Add([&] { order.push_back(2); }, false);
  q.Arm(a, At(10));
  q.Arm(b, At(20));
  q.Arm(a, At(30));  // later
  EXPECT_EQ(q.DeadlineOf(a), At(30));
  EXPECT_EQ(q.NextDeadline(), At(20));
  q.Arm(b, At(40));
  q.Arm(a, At(5));  // earlier
  EXPECT_EQ(q.NextDeadline(), At(5));
  EXPECT_EQ(q.armed(), 2u);
  RunDue(q, At(100));
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  // Persistent timers stay, disarmed, and can be armed again.
  EXPECT_EQ(q.size(), 2u);
  EXPECT_FALSE(q.IsArmed(a));
  EXPECT_TRUE(q.Arm(a, At(200)));
  EXPECT_EQ(RunDue(q, At(200)), 1u);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 1}));
}

TEST(TimerQueueTest, RearmFromOwnCallbackWaitsForTheNextBatch) {
  TimerQueue q;
  int runs = 0;
  TimerQueue::Id id = TimerQueue::kInvalidId;
  id = q.Add(
      [&] {
        ++runs;
        q.Arm(id, At(0));  // already due: must not run again in this batch
      },
      true);
  q.Arm(id, At(0));
  EXPECT_EQ(RunDue(q, At(0)), 1u);
  EXPECT_TRUE(q.IsArmed(id));  // a re-armed one-shot timer is kept
  EXPECT_EQ(RunDue(q, At(0)), 1u);
  EXPECT_EQ(runs, 2);
}

// A callback re-arming its timer to a past deadline that is earlier than
// another due timer's must not hold that timer back to the next call.
TEST(TimerQueueTest, RearmToAPastDeadlineDoesNotDeferOtherDueTimers) {
  TimerQueue q;
  std::vector<int> order;
  TimerQueue::Id eager = TimerQueue::kInvalidId;
  eager = q.Add(
      [&] {
        order.push_back(1);
        q.Arm(eager, At(2));  // past, and earlier than the other's 5
      },
      false);
  q.Arm(eager, At(1));
  q.Arm(q.Add([&] { order.push_back(2); }, true), At(5));
  EXPECT_EQ(RunDue(q, At(10)), 2u);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(q.DeadlineOf(eager), At(2));  // waits for the next call
  EXPECT_EQ(RunDue(q, At(10)), 1u);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 1}));
}

// Due timers that an earlier callback of the same run disarms or moves do
// not run in that run.
TEST(TimerQueueTest, DueTimersChangedByAnEarlierCallbackAreSkipped) {
  TimerQueue q;
  std::vector<int> order;
  TimerQueue::Id disarmed = TimerQueue::kInvalidId;
  TimerQueue::Id moved = TimerQueue::kInvalidId;
  q.Arm(q.Add(
            [&] {
              order.push_back(1);
              q.Disarm(disarmed);
              q.Arm(moved, At(50));
            },
            true),
        At(1));
  disarmed = q.Add([&] { order.push_back(2); }, false);
  moved = q.Add([&] { order.push_back(3); }, false);
  q.Arm(disarmed, At(2));
  q.Arm(moved, At(3));
  EXPECT_EQ(RunDue(q, At(10)), 1u);
  EXPECT_EQ(order, std::vector<int>{1});
  EXPECT_FALSE(q.IsArmed(disarmed));
  EXPECT_EQ(q.DeadlineOf(moved), At(50));
  EXPECT_EQ(RunDue(q, At(50)), 1u);
  EXPECT_EQ(order, (std::vector<int>{1, 3}));
}

TEST(TimerQueueTest, RemoveFromOwnCallbackAndFromAnother) {
  TimerQueue q;
  std::vector<int> order;
  TimerQueue::Id self = TimerQueue::kInvalidId;
  TimerQueue::Id victim = TimerQueue::kInvalidId;
  self = q.Add(
      [&] {
        order.push_back(1);
        EXPECT_TRUE(q.Remove(self));
        EXPECT_TRUE(q.Remove(victim));
        EXPECT_FALSE(q.Arm(self, At(1)));
        // Adding timers while running must not disturb this one.
        for (int i = 0; i < 100; ++i) q.Add([] {}, false);
      },
      false);
  victim = q.Add([&] { order.push_back(2); }, false);
  q.Arm(self, At(1));
  q.Arm(victim, At(1));
  EXPECT_EQ(RunDue(q, At(1)), 1u);
  EXPECT_EQ(order, std::vector<int>{1});
  EXPECT_FALSE(q.Contains(self));
  EXPECT_EQ(q.size(), 100u);
}

// 10,000 timers, a third cancelled and a third re-armed, against a simple
// model: every surviving timer runs once, in (deadline, arming order).
TEST(TimerQueueTest, TenThousandTimersMatchAModel) {
  TimerQueue q;
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> ms(0, 5000);
  constexpr int kTimers = 10000;
  std::vector<TimerQueue::Id> ids(kTimers);
  std::vector<int> ran;
  // (deadline, arming sequence) -> tag
  std::map<std::pair<Time, int64_t>, int> model;
  std::vector<std::pair<Time, int64_t>> key_of(kTimers);
  int64_t seq = 0;
  for (int i = 0; i < kTimers; ++i) {
    ids[i] = q.Add([&ran, i] { ran.push_back(i); }, true);
    const Time t = At(ms(rng));
    q.Arm(ids[i], t);
    key_of[i] = {t, seq++};
    model[key_of[i]] = i;
  }
  for (int i = 0; i < kTimers; ++i) {
    switch (rng() % 3) {
      case 0:
        ASSERT_TRUE(q.Remove(ids[i]));
        model.erase(key_of[i]);
        break;
      case 1: {
        const Time t = At(ms(rng));
        ASSERT_TRUE(q.Arm(ids[i], t));
        model.erase(key_of[i]);
        key_of[i] = {t, seq++};
        model[key_of[i]] = i;
        break;
      }
      default:
        break;
    }
  }
  EXPECT_EQ(q.armed(), model.size());
  // Run in steps so that batches end in the middle of the heap.
  for (int64_t now = 0; now <= 5000; now += 37) RunDue(q, At(now));
  RunDue(q, At(5000));
  std::vector<int> expected;
  for (const auto& [key, tag] : model) expected.push_back(tag);
  EXPECT_EQ(ran, expected);
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.NextDeadline(), kNever);
}

}  // namespace
}  // namespace plait::runtime
