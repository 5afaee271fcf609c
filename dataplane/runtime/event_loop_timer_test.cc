// Timers through the loop: a ManualClock for exact ordering and lag, the
// real clock for "fires, never early" and scale.
#include <memory>
#include <random>
#include <vector>

#include "dataplane/base/time.h"
#include "dataplane/runtime/event_loop.h"
#include "dataplane/runtime/manual_clock.h"
#include "dataplane/runtime/timer.h"
#include "gtest/gtest.h"

namespace plait::runtime {
namespace {

Time At(int64_t ms) { return TimeFromEpoch(Milliseconds(ms)); }

std::unique_ptr<EventLoop> NewLoop(Clock* clock) {
  EventLoopOptions options;
  options.clock = clock;
  auto loop = EventLoop::Create(options);
  EXPECT_TRUE(loop.ok()) << loop.status();
  return *std::move(loop);
}

// With a manual clock the loop must not block: poll after each step.
void Step(EventLoop& loop) { ASSERT_TRUE(loop.RunOnce(Duration::zero()).ok()); }

TEST(EventLoopTimerTest, OrderingCancellationAndRearming) {
  ManualClock clock(At(0));
  auto loop = NewLoop(&clock);
  std::vector<int> order;
  loop->RunAt(At(30), [&] { order.push_back(30); });
  const EventLoop::TimerId cancelled =
      loop->RunAt(At(10), [&] { order.push_back(-1); });
  const EventLoop::TimerId moved =
      loop->RunAt(At(40), [&] { order.push_back(5); });
  loop->RunAfter(Milliseconds(20), [&] { order.push_back(20); });
  EXPECT_TRUE(loop->Cancel(cancelled));
  EXPECT_TRUE(loop->Rearm(moved, At(5)));
  EXPECT_EQ(loop->NextTimerDeadline(), At(5));

  clock.Set(At(4));
  Step(*loop);
  EXPECT_TRUE(order.empty());  // never early
  clock.Set(At(25));
  Step(*loop);
  EXPECT_EQ(order, (std::vector<int>{5, 20}));
  clock.Set(At(1000));
  Step(*loop);
  EXPECT_EQ(order, (std::vector<int>{5, 20, 30}));
  EXPECT_FALSE(loop->Cancel(moved));  // one-shot: gone after running
  EXPECT_EQ(loop->timer_count(), 0u);
}

TEST(EventLoopTimerTest, PersistentTimerFollowsANextDeadline) {
  ManualClock clock(At(0));
  auto loop = NewLoop(&clock);
  // As a connection does: after each firing, re-arm to the core's next
  // deadline from inside the callback.
  std::vector<Time> deadlines = {At(10), At(15), At(40)};
  size_t next = 0;
  std::vector<Time> fired_at;
  EventLoop::TimerId id = EventLoop::kInvalidTimer;
  id = loop->CreateTimer([&] {
    fired_at.push_back(clock.Now());
    ++next;
    loop->Rearm(id, next < deadlines.size() ? deadlines[next] : kNever);
  });
  EXPECT_FALSE(loop->IsArmed(id));
  loop->Rearm(id, deadlines[0]);
  for (int64_t ms = 0; ms <= 50; ms += 5) {
    clock.Set(At(ms));
    Step(*loop);
  }
  EXPECT_EQ(fired_at, (std::vector<Time>{At(10), At(15), At(40)}));
  EXPECT_FALSE(loop->IsArmed(id));
  EXPECT_EQ(loop->timer_count(), 1u);  // persistent until cancelled
  EXPECT_TRUE(loop->Cancel(id));
}

TEST(EventLoopTimerTest, DueRearmRunsOnTheNextIterationNotInALoop) {
  ManualClock clock(At(0));
  auto loop = NewLoop(&clock);
  int runs = 0;
  EventLoop::TimerId id = EventLoop::kInvalidTimer;
  id = loop->CreateTimer([&] {
    ++runs;
    loop->Rearm(id, clock.Now());  // due again at once
  });
  loop->Rearm(id, At(0));
  Step(*loop);
  EXPECT_EQ(runs, 1);
  Step(*loop);
  EXPECT_EQ(runs, 2);
}

TEST(EventLoopTimerTest, LagIsHowLateTimersRan) {
  ManualClock clock(At(0));
  auto loop = NewLoop(&clock);
  loop->RunAt(At(10), [] {});
  loop->RunAt(At(12), [] {});
  clock.Set(At(13));
  Step(*loop);
  const LagHistogram::Snapshot lag = loop->lag().Read();
  EXPECT_EQ(lag.count, 2u);
  EXPECT_DOUBLE_EQ(lag.sum_seconds, 0.003 + 0.001);
  EXPECT_DOUBLE_EQ(lag.max_seconds, 0.003);
}

TEST(EventLoopTimerTest, RaiiTimerCancelsOnDestruction) {
  ManualClock clock(At(0));
  auto loop = NewLoop(&clock);
  int runs = 0;
  {
    Timer timer(loop.get(), [&] { ++runs; });
    timer.Arm(At(5));
    EXPECT_TRUE(timer.armed());
    timer.Disarm();
    EXPECT_FALSE(timer.armed());
    timer.Arm(At(6));
    clock.Set(At(6));
    Step(*loop);
    EXPECT_EQ(runs, 1);
    timer.Arm(At(7));
  }
  EXPECT_EQ(loop->timer_count(), 0u);
  clock.Set(At(100));
  Step(*loop);
  EXPECT_EQ(runs, 1);
}

TEST(EventLoopTimerTest, RealClockTimersFireNeverEarlyAndStopRun) {
  auto loop = NewLoop(nullptr);
  std::vector<int> order;
  const Time start = loop->Now();
  Time ran_at;
  loop->RunAfter(Milliseconds(3), [&] { order.push_back(3); });
  loop->RunAfter(Milliseconds(1), [&] { order.push_back(1); });
  loop->RunAfter(Milliseconds(5), [&] {
    order.push_back(5);
    ran_at = loop->Now();
    loop->Stop();
  });
  ASSERT_TRUE(loop->Run().ok());
  EXPECT_EQ(order, (std::vector<int>{1, 3, 5}));
  EXPECT_GE(ran_at - start, Milliseconds(5));
  EXPECT_EQ(loop->lag().Read().count, 3u);
}

TEST(EventLoopTimerTest, TenThousandTimersOnTheRealClock) {
  auto loop = NewLoop(nullptr);
  constexpr int kTimers = 10000;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> us(0, 20000);
  const Time base = loop->Now();
  std::vector<EventLoop::TimerId> ids;
  std::vector<Time> deadline_of(kTimers);
  std::vector<Time> seen;
  int expected = 0;
  for (int i = 0; i < kTimers; ++i) {
    deadline_of[i] = base + Microseconds(us(rng));
    ids.push_back(loop->RunAt(deadline_of[i], [&, i] {
      EXPECT_GE(loop->Now(), deadline_of[i]);
      seen.push_back(deadline_of[i]);
    }));
  }
  for (int i = 0; i < kTimers; ++i) {
    if (i % 3 == 0) {
      EXPECT_TRUE(loop->Cancel(ids[i]));
    } else if (i % 3 == 1) {
      deadline_of[i] = base + Microseconds(us(rng));
      EXPECT_TRUE(loop->Rearm(ids[i], deadline_of[i]));
      ++expected;
    } else {
      ++expected;
    }
  }
  loop->RunAt(base + Milliseconds(21), [&] { loop->Stop(); });
  ASSERT_TRUE(loop->Run().ok());
  EXPECT_EQ(static_cast<int>(seen.size()), expected);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(loop->timer_count(), 0u);
}

TEST(EventLoopTimerTest, HugeDelaySaturatesToNever) {
  ManualClock clock(At(1000));
  auto loop = NewLoop(&clock);
  int runs = 0;
  const EventLoop::TimerId id =
      loop->RunAfter(Duration::max(), [&] { ++runs; });
  loop->RunAfter(Duration::max() - Milliseconds(1), [&] { ++runs; });
  EXPECT_EQ(loop->NextTimerDeadline(), kNever);
  clock.Set(At(2000));
  Step(*loop);
  EXPECT_EQ(runs, 0);  // an overflowed deadline would lie in the past
  EXPECT_TRUE(loop->Cancel(id));
}

TEST(EventLoopTimerTest, SaturatingAdd) {
  EXPECT_EQ(SaturatingAdd(At(5), Milliseconds(3)), At(8));
  EXPECT_EQ(SaturatingAdd(At(5), -Milliseconds(3)), At(2));
  EXPECT_EQ(SaturatingAdd(At(5), Duration::max()), kNever);
  EXPECT_EQ(SaturatingAdd(kNever, Nanoseconds(1)), kNever);
  EXPECT_EQ(SaturatingAdd(kNever - Nanoseconds(1), Nanoseconds(1)), kNever);
  EXPECT_EQ(SaturatingAdd(At(-5), Duration::min()), Time::min());
}

}  // namespace
}  // namespace plait::runtime
