#include "dataplane/sched/scheduler.h"

#include <cstdint>
#include <vector>

#include "dataplane/base/time.h"
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

TEST(SchedulerRulesTest, Usable) {
  EXPECT_TRUE(IsUsable(Subflow(1, Milliseconds(10), 10000)));
  EXPECT_TRUE(IsUsable(Backup(Subflow(1, Milliseconds(10), 10000))));
  EXPECT_FALSE(IsUsable(NotEstablished(Subflow(1, Milliseconds(10), 10000))));
  EXPECT_FALSE(IsUsable(Failed(Subflow(1, Milliseconds(10), 10000))));
  SubflowView no_mss = Subflow(1, Milliseconds(10), 10000);
  no_mss.mss = 0;
  EXPECT_FALSE(IsUsable(no_mss));
  // A full or recovering subflow is still usable (it only lacks room).
  SubflowView recovering = Subflow(1, Milliseconds(10), 10000, 10000);
  recovering.in_rto_recovery = true;
  EXPECT_TRUE(IsUsable(recovering));
}

TEST(SchedulerRulesTest, CwndRoomCountsInFlightAndQueued) {
  SubflowView view = Subflow(1, Milliseconds(10), 10000, 3000);
  EXPECT_EQ(CwndRoom(view), 7000u);
  view.queued_unsent_bytes = 2500;
  EXPECT_EQ(CwndRoom(view), 4500u);  // 10000 - 3000 - 2500
  view.queued_unsent_bytes = 7000;
  EXPECT_EQ(CwndRoom(view), 0u);
  view.queued_unsent_bytes = 9000;  // over the window: no room, no wrap
  EXPECT_EQ(CwndRoom(view), 0u);
  view.queued_unsent_bytes = 0;
  view.in_rto_recovery = true;
  EXPECT_EQ(CwndRoom(view), 0u);
}

TEST(SchedulerRulesTest, BackupRule) {
  const SubflowView regular = Subflow(1, Milliseconds(10), 10000);
  const SubflowView backup = Backup(Subflow(2, Milliseconds(5), 10000));
  EXPECT_TRUE(UseBackupSubflows({}));
  EXPECT_FALSE(UseBackupSubflows(std::vector{regular, backup}));
  EXPECT_TRUE(UseBackupSubflows(std::vector{backup}));
  EXPECT_TRUE(UseBackupSubflows(std::vector{Failed(regular), backup}));
  EXPECT_TRUE(UseBackupSubflows(std::vector{NotEstablished(regular), backup}));
  // A regular subflow with a full cwnd still keeps the backups out.
  EXPECT_FALSE(UseBackupSubflows(
      std::vector{Subflow(1, Milliseconds(10), 10000, 10000), backup}));
  EXPECT_TRUE(IsCandidate(regular, false));
  EXPECT_FALSE(IsCandidate(regular, true));
  EXPECT_TRUE(IsCandidate(backup, true));
  EXPECT_FALSE(IsCandidate(backup, false));
}

TEST(SchedulerRulesTest, WindowAndChunk) {
  ConnectionView connection = Connection(50000, 3000);
  connection.send_window_bytes = 20000;
  connection.bytes_in_flight = 18500;
  EXPECT_EQ(WindowLeft(connection), 1500u);
  EXPECT_EQ(ChunkBytes(connection), 1500u);  // the window limits
  connection.bytes_in_flight = 0;
  EXPECT_EQ(ChunkBytes(connection), 3000u);  // the chunk size limits
  connection.bytes_to_schedule = 700;
  EXPECT_EQ(ChunkBytes(connection), 700u);  // the data limits
  connection.bytes_in_flight = 25000;
  EXPECT_EQ(WindowLeft(connection), 0u);
}

TEST(SchedulerRulesTest, CheckConnection) {
  EXPECT_EQ(internal::CheckConnection(Connection(0)), Action::kNothingToSend);
  EXPECT_EQ(internal::CheckConnection(Connection(1000, 0)),
            Action::kNothingToSend);
  ConnectionView full = Connection(1000);
  full.send_window_bytes = 4000;
  full.bytes_in_flight = 4000;
  EXPECT_EQ(internal::CheckConnection(full), Action::kWindowFull);
  EXPECT_FALSE(internal::CheckConnection(Connection(1000)).has_value());
}

TEST(SchedulerRulesTest, LowestRttTiesGoToLowestId) {
  const std::vector<SubflowView> subflows = {
      Subflow(7, Milliseconds(10), 10000), Subflow(3, Milliseconds(10), 10000),
      Subflow(5, Milliseconds(10), 10000, 10000),  // full
  };
  EXPECT_EQ(internal::LowestRttWithRoom(subflows, false)->id, 3u);
  EXPECT_EQ(internal::LowestRtt(subflows, false)->id, 3u);
  EXPECT_EQ(internal::LowestRttWithRoom(subflows, true), nullptr);
}

TEST(SchedulerRulesTest, SendOnAndNoSubflow) {
  const SubflowView view = Subflow(4, Milliseconds(10), 10000, 9400);
  Decision decision = internal::SendOn(view, 1000);
  EXPECT_EQ(decision.action, Action::kSend);
  EXPECT_EQ(decision.chunk_bytes, 1000u);
  EXPECT_THAT(decision.targets, ElementsAre(Target{4, 600}));
  EXPECT_EQ(internal::NoSubflow(std::vector{view}, false).action,
            Action::kNoRoom);
  EXPECT_EQ(internal::NoSubflow(std::vector{view}, true).action,
            Action::kNoUsableSubflow);
  EXPECT_EQ(internal::NoSubflow({}, false).action, Action::kNoUsableSubflow);
  decision = internal::WaitFor(view);
  EXPECT_EQ(decision.action, Action::kWaitForFaster);
  EXPECT_EQ(decision.wait_for_subflow_id, 4u);
  EXPECT_TRUE(decision.targets.empty());
}

}  // namespace
}  // namespace plait::sched
