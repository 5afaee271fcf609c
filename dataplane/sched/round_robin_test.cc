#include "dataplane/sched/round_robin.h"

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

// The subflow id of a single-target kSend decision, or 0.
uint32_t Chosen(const Decision& decision) {
  if (decision.action != Action::kSend || decision.targets.size() != 1) {
    return 0;
  }
  return decision.targets[0].subflow_id;
}

TEST(RoundRobinTest, RotatesByIdRegardlessOfRtt) {
  RoundRobinScheduler scheduler;
  EXPECT_STREQ(scheduler.name(), "roundrobin");
  EXPECT_FALSE(scheduler.last_served().has_value());
  // Listed out of id order, RTTs in no particular order.
  const std::vector<SubflowView> subflows = {
      Subflow(30, Milliseconds(5), 100000),
      Subflow(10, Milliseconds(50), 100000),
      Subflow(20, Milliseconds(20), 100000),
  };
  std::vector<uint32_t> order;
  for (int i = 0; i < 7; ++i) {
    order.push_back(Chosen(scheduler.Schedule(Connection(1 << 20), subflows)));
  }
  EXPECT_THAT(order, ElementsAre(10, 20, 30, 10, 20, 30, 10));
  EXPECT_THAT(scheduler.last_served(), Optional(10u));
}

TEST(RoundRobinTest, SkipsFullSubflows) {
  RoundRobinScheduler scheduler;
  std::vector<SubflowView> subflows = {
      Subflow(1, Milliseconds(10), 100000),
      Subflow(2, Milliseconds(10), 100000, 100000),  // full
      Subflow(3, Milliseconds(10), 100000, 99600),   // 400 bytes of room
  };
  EXPECT_EQ(Chosen(scheduler.Schedule(Connection(1 << 20), subflows)), 1u);
  Decision decision = scheduler.Schedule(Connection(1 << 20), subflows);
  EXPECT_THAT(decision.targets, ElementsAre(Target{3, 400}));  // 2 skipped
  subflows[2].bytes_in_flight = 100000;                        // 3 now full
  EXPECT_EQ(Chosen(scheduler.Schedule(Connection(1 << 20), subflows)), 1u);
  EXPECT_EQ(Chosen(scheduler.Schedule(Connection(1 << 20), subflows)), 1u);
  subflows[1].bytes_in_flight = 0;  // 2 has room again
  EXPECT_EQ(Chosen(scheduler.Schedule(Connection(1 << 20), subflows)), 2u);
  subflows[0].bytes_in_flight = 100000;
  subflows[1].bytes_in_flight = 100000;
  decision = scheduler.Schedule(Connection(1 << 20), subflows);
  EXPECT_EQ(decision.action, Action::kNoRoom);
  // Nothing was served, so the position stays at 2.
  EXPECT_THAT(scheduler.last_served(), Optional(2u));
}

TEST(RoundRobinTest, SurvivesSubflowsComingAndGoing) {
  RoundRobinScheduler scheduler;
  std::vector<SubflowView> subflows = {
      Subflow(1, Milliseconds(10), 100000),
      Subflow(2, Milliseconds(10), 100000),
      Subflow(3, Milliseconds(10), 100000),
  };
  EXPECT_EQ(Chosen(scheduler.Schedule(Connection(1 << 20), subflows)), 1u);
  EXPECT_EQ(Chosen(scheduler.Schedule(Connection(1 << 20), subflows)), 2u);
  // Subflow 2 (the last served) closes; the rotation goes on with 3.
  subflows.erase(subflows.begin() + 1);
  EXPECT_EQ(Chosen(scheduler.Schedule(Connection(1 << 20), subflows)), 3u);
  // A new subflow 7 joins and gets its turn after 3.
  subflows.push_back(Subflow(7, Milliseconds(10), 100000));
  EXPECT_EQ(Chosen(scheduler.Schedule(Connection(1 << 20), subflows)), 7u);
  EXPECT_EQ(Chosen(scheduler.Schedule(Connection(1 << 20), subflows)), 1u);
}

TEST(RoundRobinTest, SkipsPotentiallyFailedAndObeysBackupRule) {
  RoundRobinScheduler scheduler;
  std::vector<SubflowView> subflows = {
      Subflow(1, Milliseconds(10), 100000),
      Failed(Subflow(2, Milliseconds(10), 100000)),
      Backup(Subflow(3, Milliseconds(10), 100000)),
      Subflow(4, Milliseconds(10), 100000),
  };
  std::vector<uint32_t> order;
  for (int i = 0; i < 4; ++i) {
    order.push_back(Chosen(scheduler.Schedule(Connection(1 << 20), subflows)));
  }
  EXPECT_THAT(order, ElementsAre(1, 4, 1, 4));
  // Regular 1 and 4 full: wait, do not use backup 3.
  subflows[0].bytes_in_flight = 100000;
  subflows[3].bytes_in_flight = 100000;
  EXPECT_EQ(scheduler.Schedule(Connection(1 << 20), subflows).action,
            Action::kNoRoom);
  // Both regular ones failed: backups rotate among themselves.
  subflows[0].potentially_failed = true;
  subflows[3].potentially_failed = true;
  subflows.push_back(Backup(Subflow(5, Milliseconds(10), 100000)));
  order.clear();
  for (int i = 0; i < 3; ++i) {
    order.push_back(Chosen(scheduler.Schedule(Connection(1 << 20), subflows)));
  }
  EXPECT_THAT(order, ElementsAre(5, 3, 5));
}

}  // namespace
}  // namespace plait::sched
