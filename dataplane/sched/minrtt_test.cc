#include "dataplane/sched/minrtt.h"

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

TEST(MinRttTest, PicksLowestRttWithRoomAndSkipsFullOnes) {
  MinRttScheduler scheduler;
  EXPECT_STREQ(scheduler.name(), "minrtt");
  const std::vector<SubflowView> subflows = {
      Subflow(1, Milliseconds(30), 10000),
      Subflow(2, Milliseconds(10), 10000, 10000),  // fastest, but full
      Subflow(3, Milliseconds(20), 10000, 9500),   // 500 bytes of room
      Subflow(4, Milliseconds(25), 10000),
  };
  const Decision decision = scheduler.Schedule(Connection(50000), subflows);
  EXPECT_EQ(decision.action, Action::kSend);
  EXPECT_EQ(decision.chunk_bytes, 1000u);
  // Subflow 3 takes what its room allows of the 1000-byte chunk.
  EXPECT_THAT(decision.targets, ElementsAre(Target{3, 500}));
  EXPECT_FALSE(decision.wait_for_subflow_id.has_value());
}

TEST(MinRttTest, PicksTheFastestWhenItHasRoom) {
  MinRttScheduler scheduler;
  const std::vector<SubflowView> subflows = {
      Subflow(1, Milliseconds(30), 10000),
      Subflow(2, Milliseconds(10), 10000, 6000),
  };
  EXPECT_THAT(scheduler.Schedule(Connection(50000, 3000), subflows).targets,
              ElementsAre(Target{2, 3000}));
  // Bytes queued on the subflow but not sent count against its room.
  std::vector<SubflowView> queued = subflows;
  queued[1].queued_unsent_bytes = 4000;
  EXPECT_THAT(scheduler.Schedule(Connection(50000, 3000), queued).targets,
              ElementsAre(Target{1, 3000}));
  // So does RTO recovery.
  std::vector<SubflowView> recovering = subflows;
  recovering[1].in_rto_recovery = true;
  EXPECT_THAT(scheduler.Schedule(Connection(50000, 3000), recovering).targets,
              ElementsAre(Target{1, 3000}));
}

TEST(MinRttTest, ChunkIsLimitedByDataAndPeerWindow) {
  MinRttScheduler scheduler;
  const std::vector<SubflowView> subflows = {
      Subflow(1, Milliseconds(10), 100000)};
  EXPECT_THAT(scheduler.Schedule(Connection(700, 3000), subflows).targets,
              ElementsAre(Target{1, 700}));
  ConnectionView connection = Connection(50000, 3000);
  connection.send_window_bytes = 10000;
  connection.bytes_in_flight = 8800;
  const Decision decision = scheduler.Schedule(connection, subflows);
  EXPECT_EQ(decision.chunk_bytes, 1200u);
  EXPECT_THAT(decision.targets, ElementsAre(Target{1, 1200}));
  connection.bytes_in_flight = 10000;
  EXPECT_EQ(scheduler.Schedule(connection, subflows).action,
            Action::kWindowFull);
  EXPECT_EQ(scheduler.Schedule(Connection(0), subflows).action,
            Action::kNothingToSend);
}

TEST(MinRttTest, NoRoomVersusNoUsableSubflow) {
  MinRttScheduler scheduler;
  EXPECT_EQ(
      scheduler
          .Schedule(Connection(5000),
                    std::vector{Subflow(1, Milliseconds(10), 10000, 10000),
                                Subflow(2, Milliseconds(20), 5000, 6000)})
          .action,
      Action::kNoRoom);
  EXPECT_EQ(
      scheduler
          .Schedule(
              Connection(5000),
              std::vector{Failed(Subflow(1, Milliseconds(10), 10000)),
                          NotEstablished(Subflow(2, Milliseconds(5), 10000))})
          .action,
      Action::kNoUsableSubflow);
  EXPECT_EQ(scheduler.Schedule(Connection(5000), {}).action,
            Action::kNoUsableSubflow);
}

TEST(MinRttTest, SkipsPotentiallyFailedAndUnestablished) {
  MinRttScheduler scheduler;
  const std::vector<SubflowView> subflows = {
      Failed(Subflow(1, Milliseconds(5), 10000)),
      NotEstablished(Subflow(2, Milliseconds(6), 10000)),
      Subflow(3, Milliseconds(40), 10000),
  };
  EXPECT_THAT(scheduler.Schedule(Connection(5000), subflows).targets,
              ElementsAre(Target{3, 1000}));
}

TEST(MinRttTest, BackupOnlyWhenNoRegularIsUsable) {
  MinRttScheduler scheduler;
  // The faster backup is ignored while a regular subflow is usable...
  std::vector<SubflowView> subflows = {
      Backup(Subflow(1, Milliseconds(5), 10000)),
      Subflow(2, Milliseconds(50), 10000),
      Backup(Subflow(3, Milliseconds(4), 10000, 10000)),
  };
  EXPECT_THAT(scheduler.Schedule(Connection(5000), subflows).targets,
              ElementsAre(Target{2, 1000}));
  // ... even when that regular subflow has no room: wait, not backup.
  subflows[1].bytes_in_flight = 10000;
  EXPECT_EQ(scheduler.Schedule(Connection(5000), subflows).action,
            Action::kNoRoom);
  // Once it is potentially failed, the backups take over, lowest RTT with
  // room first (3 is faster but full).
  subflows[1].potentially_failed = true;
  EXPECT_THAT(scheduler.Schedule(Connection(5000), subflows).targets,
              ElementsAre(Target{1, 1000}));
}

}  // namespace
}  // namespace plait::sched
