#include "sim/simulator.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace plait::sim {
namespace {

Time At(int64_t ms) { return TimeFromEpoch(Milliseconds(ms)); }

TEST(SimulatorTest, StartsAtTimeZeroAndIdle) {
  Simulator sim;
  EXPECT_EQ(sim.now(), Time{});
  EXPECT_EQ(sim.pending_events(), 0u);
  EXPECT_EQ(sim.next_event_time(), kNever);
  EXPECT_FALSE(sim.Step());
}

TEST(SimulatorTest, RunsEventsInTimeOrderThenFifo) {
  Simulator sim;
  std::vector<std::string> log;
  sim.Schedule(At(5), [&] { log.push_back("b@5"); });
  sim.Schedule(At(1), [&] { log.push_back("a@1"); });
  sim.Schedule(At(5), [&] { log.push_back("c@5"); });
  sim.Schedule(At(5), [&] { log.push_back("d@5"); });
  sim.RunUntilIdle();
  EXPECT_EQ(log, (std::vector<std::string>{"a@1", "b@5", "c@5", "d@5"}));
  EXPECT_EQ(sim.now(), At(5));
  EXPECT_EQ(sim.events_run(), 4u);
}

TEST(SimulatorTest, EventScheduledForNowRunsAfterThoseAlreadyQueued) {
  Simulator sim;
  std::vector<int> log;
  sim.Schedule(At(2), [&] {
    log.push_back(1);
    sim.Schedule(sim.now(), [&] { log.push_back(3); });
  });
  sim.Schedule(At(2), [&] { log.push_back(2); });
  sim.RunUntilIdle();
  EXPECT_EQ(log, (std::vector<int>{1, 2, 3}));
}

TEST(SimulatorTest, CancelledEventsDoNotRun) {
  Simulator sim;
  std::vector<int> log;
  const EventId a = sim.Schedule(At(1), [&] { log.push_back(1); });
  EventId b = kNoEvent;
  sim.Schedule(At(2), [&] {
    log.push_back(2);
    sim.Cancel(b);  // an event may cancel a later one
  });
  b = sim.Schedule(At(3), [&] { log.push_back(3); });
  sim.Schedule(At(4), [&] { log.push_back(4); });
  sim.Cancel(a);
  EXPECT_EQ(sim.pending_events(), 3u);
  EXPECT_EQ(sim.next_event_time(), At(2));
  sim.RunUntilIdle();
  EXPECT_EQ(log, (std::vector<int>{2, 4}));
  sim.Cancel(a);  // already cancelled: no-op
  sim.Cancel(kNoEvent);
  sim.Cancel(12345);
  EXPECT_EQ(sim.pending_events(), 0u);
}

TEST(SimulatorTest, StepRunsOneEvent) {
  Simulator sim;
  int runs = 0;
  sim.Schedule(At(3), [&] { ++runs; });
  sim.Schedule(At(7), [&] { ++runs; });
  EXPECT_TRUE(sim.Step());
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(sim.now(), At(3));
  EXPECT_TRUE(sim.Step());
  EXPECT_EQ(sim.now(), At(7));
  EXPECT_FALSE(sim.Step());
  EXPECT_EQ(sim.now(), At(7));
}

TEST(SimulatorTest, RunUntilStopsAtDeadlineAndAdvancesClock) {
  Simulator sim;
  std::vector<int> log;
  sim.Schedule(At(10), [&] { log.push_back(10); });
  sim.Schedule(At(20), [&] { log.push_back(20); });
  sim.Schedule(At(30), [&] { log.push_back(30); });
  sim.RunUntil(At(20));  // inclusive
  EXPECT_EQ(log, (std::vector<int>{10, 20}));
  EXPECT_EQ(sim.now(), At(20));
  sim.RunUntil(At(25));
  EXPECT_EQ(sim.now(), At(25));
  sim.RunFor(Milliseconds(100));
  EXPECT_EQ(log, (std::vector<int>{10, 20, 30}));
  EXPECT_EQ(sim.now(), At(125));
}

TEST(SimulatorTest, RunUntilPredicate) {
  Simulator sim;
  int count = 0;
  for (int i = 1; i <= 10; ++i) sim.Schedule(At(i), [&] { ++count; });
  EXPECT_TRUE(sim.RunUntil([&] { return count == 4; }, At(100)));
  EXPECT_EQ(sim.now(), At(4));
  EXPECT_FALSE(sim.RunUntil([&] { return count == 100; }, At(7)));
  EXPECT_EQ(count, 7);
  EXPECT_EQ(sim.now(), At(7));
  // True before anything runs.
  EXPECT_TRUE(sim.RunUntil([&] { return true; }, At(100)));
  EXPECT_EQ(sim.now(), At(7));
  // Runs out of events before the deadline: the clock goes to the deadline.
  EXPECT_FALSE(sim.RunUntil([&] { return false; }, At(50)));
  EXPECT_EQ(count, 10);
  EXPECT_EQ(sim.now(), At(50));
}

TEST(SimulatorTest, RunUntilIdleLeavesClockAtLastEvent) {
  Simulator sim;
  sim.Schedule(At(3), [] {});
  sim.Schedule(At(9), [] {});
  sim.RunUntilIdle(At(5));
  EXPECT_EQ(sim.now(), At(3));
  EXPECT_EQ(sim.pending_events(), 1u);
  sim.RunUntilIdle();
  EXPECT_EQ(sim.now(), At(9));
}

TEST(SimulatorTest, SelfReschedulingTimer) {
  Simulator sim;
  std::vector<int64_t> fired;
  std::function<void()> tick = [&] {
    fired.push_back(SinceEpoch(sim.now()).count());
    sim.ScheduleIn(Milliseconds(10), tick);
  };
  sim.Schedule(At(0), tick);
  sim.RunUntil(At(35));
  EXPECT_EQ(fired,
            (std::vector<int64_t>{0, 10'000'000, 20'000'000, 30'000'000}));
  EXPECT_EQ(sim.pending_events(), 1u);
}

TEST(SimulatorTest, MoveOnlyCallbacks) {
  Simulator sim;
  auto value = std::make_unique<int>(41);
  int seen = 0;
  sim.Schedule(At(1), [v = std::move(value), &seen] { seen = *v + 1; });
  sim.RunUntilIdle();
  EXPECT_EQ(seen, 42);
}

TEST(SimulatorTest, PacketIdsAndRandomAreDeterministic) {
  Simulator a(17), b(17);
  EXPECT_EQ(a.NextPacketId(), 1u);
  EXPECT_EQ(a.NextPacketId(), 2u);
  EXPECT_EQ(a.random().Next64(), b.random().Next64());
  EXPECT_EQ(a.random().seed(), 17u);
}

TEST(SimulatorDeathTest, SchedulingInThePastAborts) {
  Simulator sim;
  sim.Schedule(At(10), [] {});
  sim.RunUntilIdle();
  EXPECT_DEATH(sim.Schedule(At(5), [] {}), "before now");
}

}  // namespace
}  // namespace plait::sim
