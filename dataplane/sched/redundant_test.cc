#include "dataplane/sched/redundant.h"

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
using ::plait::sched::testing::NotEstablished;
using ::plait::sched::testing::Subflow;
using ::testing::ElementsAre;

TEST(RedundantTest, SendsTheChunkOnEveryUsableSubflow) {
  RedundantScheduler scheduler;
  EXPECT_STREQ(scheduler.name(), "redundant");
  const std::vector<SubflowView> subflows = {
      Subflow(4, Milliseconds(80), 100000),
      Subflow(2, Milliseconds(10), 100000, 98500),  // 1500 bytes of room
      Subflow(9, Milliseconds(30), 100000),
      Subflow(5, Milliseconds(30), 100000, 100000),  // full: skips this chunk
      Failed(Subflow(6, Milliseconds(1), 100000)),
      NotEstablished(Subflow(7, Milliseconds(1), 100000)),
      Backup(Subflow(8, Milliseconds(1), 100000)),
  };
  const Decision decision =
      scheduler.Schedule(Connection(50000, 4000), subflows);
  EXPECT_EQ(decision.action, Action::kSend);
  EXPECT_EQ(decision.chunk_bytes, 4000u);
  EXPECT_THAT(decision.targets,
              ElementsAre(Target{4, 4000}, Target{2, 1500}, Target{9, 4000}));
}

TEST(RedundantTest, BackupsOnlyWhenNoRegularIsUsable) {
  RedundantScheduler scheduler;
  std::vector<SubflowView> subflows = {
      Backup(Subflow(1, Milliseconds(10), 100000)),
      Subflow(2, Milliseconds(50), 100000, 100000),  // usable but full
      Backup(Subflow(3, Milliseconds(20), 100000)),
  };
  EXPECT_EQ(scheduler.Schedule(Connection(50000), subflows).action,
            Action::kNoRoom);
  subflows[1].potentially_failed = true;
  EXPECT_THAT(scheduler.Schedule(Connection(50000), subflows).targets,
              ElementsAre(Target{1, 1000}, Target{3, 1000}));
  subflows[1].potentially_failed = false;
  subflows[1].bytes_in_flight = 0;
  EXPECT_THAT(scheduler.Schedule(Connection(50000), subflows).targets,
              ElementsAre(Target{2, 1000}));
}

TEST(RedundantTest, ConnectionLimits) {
  RedundantScheduler scheduler;
  const std::vector<SubflowView> subflows = {
      Subflow(1, Milliseconds(10), 100000),
      Subflow(2, Milliseconds(20), 100000)};
  ConnectionView connection = Connection(50000, 4000);
  connection.send_window_bytes = 3000;
  connection.bytes_in_flight = 1000;  // redundant bytes count once
  const Decision decision = scheduler.Schedule(connection, subflows);
  EXPECT_EQ(decision.chunk_bytes, 2000u);
  EXPECT_THAT(decision.targets, ElementsAre(Target{1, 2000}, Target{2, 2000}));
  connection.bytes_in_flight = 3000;
  EXPECT_EQ(scheduler.Schedule(connection, subflows).action,
            Action::kWindowFull);
  EXPECT_EQ(scheduler.Schedule(Connection(0), subflows).action,
            Action::kNothingToSend);
  EXPECT_EQ(scheduler.Schedule(Connection(10), {}).action,
            Action::kNoUsableSubflow);
}

}  // namespace
}  // namespace plait::sched
