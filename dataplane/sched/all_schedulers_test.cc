// Rules every registered scheduler keeps: the backup rule, potentially
// failed subflows never used, the decision's invariants on random views, and
// switching algorithm mid-connection.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "dataplane/base/time.h"
#include "dataplane/sched/registry.h"
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
using ::plait::sched::testing::NotEstablished;
using ::plait::sched::testing::Subflow;
using ::testing::ElementsAre;
using ::testing::ValuesIn;

std::unique_ptr<Scheduler> Create(const std::string& name) {
  auto scheduler = CreateScheduler(name);
  EXPECT_TRUE(scheduler.ok()) << scheduler.status();
  return *std::move(scheduler);
}

bool SameDecision(const Decision& a, const Decision& b) {
  return a.action == b.action && a.chunk_bytes == b.chunk_bytes &&
         std::equal(a.targets.begin(), a.targets.end(), b.targets.begin(),
                    b.targets.end()) &&
         a.wait_for_subflow_id == b.wait_for_subflow_id;
}

class AllSchedulersTest : public ::testing::TestWithParam<std::string> {};

TEST_P(AllSchedulersTest, BackupOnlyWhenNoRegularSubflowIsUsable) {
  auto scheduler = Create(GetParam());
  // The regular subflows are unusable (potentially failed, not established):
  // the backup carries the data.
  std::vector<SubflowView> subflows = {
      Failed(Subflow(1, Milliseconds(5), 100000)),
      NotEstablished(Subflow(2, Milliseconds(6), 100000)),
      Backup(Subflow(3, Milliseconds(1), 100000)),
  };
  Decision decision = scheduler->Schedule(Connection(50000), subflows);
  EXPECT_EQ(decision.action, Action::kSend);
  EXPECT_THAT(decision.targets, ElementsAre(Target{3, 1000}));
  // A usable regular subflow without cwnd room: wait for it, not the backup.
  subflows.push_back(Subflow(4, Milliseconds(80), 100000, 100000));
  EXPECT_EQ(scheduler->Schedule(Connection(50000), subflows).action,
            Action::kNoRoom);
  // With room it takes the data, though the backup is faster.
  subflows[3].bytes_in_flight = 0;
  decision = scheduler->Schedule(Connection(50000), subflows);
  EXPECT_EQ(decision.action, Action::kSend);
  EXPECT_THAT(decision.targets, ElementsAre(Target{4, 1000}));
  // The regular subflow becomes potentially failed: back to the backup.
  subflows[3].potentially_failed = true;
  EXPECT_THAT(scheduler->Schedule(Connection(50000), subflows).targets,
              ElementsAre(Target{3, 1000}));
}

TEST_P(AllSchedulersTest, SkipsPotentiallyFailedSubflows) {
  auto scheduler = Create(GetParam());
  std::vector<SubflowView> subflows = {
      Failed(Subflow(1, Milliseconds(1), 100000)),
      Failed(Subflow(2, Milliseconds(2), 100000)),
  };
  EXPECT_EQ(scheduler->Schedule(Connection(50000), subflows).action,
            Action::kNoUsableSubflow);
  subflows.push_back(Subflow(3, Milliseconds(300), 100000));
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(scheduler->Schedule(Connection(50000), subflows).targets,
                ElementsAre(Target{3, 1000}));
  }
}

// Random views: a connection and 0..5 subflows with random flags, RTTs and
// windows (several subflows share an RTT to exercise ties).
struct RandomViews {
  explicit RandomViews(uint32_t seed) : rng(seed) {}

  uint64_t Pick(uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  }

  void Next() {
    now += Milliseconds(static_cast<int64_t>(Pick(0, 60)));
    connection = Connection(Pick(0, 4) == 0 ? 0 : Pick(1, 200000),
                            Pick(0, 20) == 0 ? 0 : Pick(1, 5000), now);
    connection.send_window_bytes = Pick(0, 300000);
    connection.bytes_in_flight = Pick(0, 250000);
    subflows.clear();
    const uint64_t count = Pick(0, 5);
    for (uint64_t i = 0; i < count; ++i) {
      const uint32_t id = static_cast<uint32_t>(i * 3 + Pick(1, 3));
      const uint64_t cwnd = Pick(1, 40) * 1000;
      SubflowView view = Subflow(id, Milliseconds(5 * Pick(0, 20)), cwnd,
                                 Pick(0, 3) == 0 ? cwnd : Pick(0, cwnd));
      view.rttvar = Milliseconds(static_cast<int64_t>(Pick(0, 30)));
      view.queued_unsent_bytes = Pick(0, 3) == 0 ? Pick(0, 5000) : 0;
      view.ssthresh_bytes =
          Pick(0, 1) == 0 ? kInfiniteSsthresh : Pick(2, 40) * 1000;
      view.backup = Pick(0, 3) == 0;
      view.potentially_failed = Pick(0, 5) == 0;
      view.established = Pick(0, 6) != 0;
      view.in_rto_recovery = Pick(0, 10) == 0;
      subflows.push_back(view);
    }
  }

  std::mt19937 rng;
  Time now = kT0;
  ConnectionView connection;
  std::vector<SubflowView> subflows;
};

// Checks the decision against the shared rules (scheduler.h).
void CheckInvariants(const std::string& name, const ConnectionView& connection,
                     const std::vector<SubflowView>& subflows,
                     const Decision& decision) {
  const bool use_backups = UseBackupSubflows(subflows);
  std::vector<const SubflowView*> candidates, with_room;
  for (const SubflowView& s : subflows) {
    if (!IsCandidate(s, use_backups)) continue;
    candidates.push_back(&s);
    if (CwndRoom(s) > 0) with_room.push_back(&s);
  }
  const uint64_t chunk = ChunkBytes(connection);
  if (connection.bytes_to_schedule == 0 || connection.max_chunk_bytes == 0) {
    EXPECT_EQ(decision.action, Action::kNothingToSend);
  } else if (WindowLeft(connection) == 0) {
    EXPECT_EQ(decision.action, Action::kWindowFull);
  } else if (candidates.empty()) {
    EXPECT_EQ(decision.action, Action::kNoUsableSubflow);
  } else if (with_room.empty()) {
    EXPECT_EQ(decision.action, Action::kNoRoom);
  } else if (name == "blest" || name == "ecf") {
    EXPECT_THAT(decision.action,
                ::testing::AnyOf(Action::kSend, Action::kWaitForFaster));
  } else {
    EXPECT_EQ(decision.action, Action::kSend);
  }
  if (decision.action != Action::kSend) {
    EXPECT_TRUE(decision.targets.empty());
    EXPECT_EQ(decision.chunk_bytes, 0u);
  }
  if (decision.action == Action::kWaitForFaster) {
    ASSERT_TRUE(decision.wait_for_subflow_id.has_value());
    const SubflowView* best =
        internal::LowestRttWithRoom(subflows, use_backups);
    ASSERT_NE(best, nullptr);
    auto it = std::find_if(subflows.begin(), subflows.end(), [&](auto& s) {
      return s.id == *decision.wait_for_subflow_id;
    });
    ASSERT_NE(it, subflows.end());
    // The subflow waited for is a candidate, faster than the minRTT choice,
    // and has no room now.
    EXPECT_TRUE(IsCandidate(*it, use_backups));
    EXPECT_LT(it->srtt, best->srtt);
    EXPECT_EQ(CwndRoom(*it), 0u);
  } else {
    EXPECT_FALSE(decision.wait_for_subflow_id.has_value());
  }
  if (decision.action != Action::kSend) return;
  EXPECT_EQ(decision.chunk_bytes, chunk);
  ASSERT_FALSE(decision.targets.empty());
  if (name != "redundant") {
    EXPECT_EQ(decision.targets.size(), 1u);
  }
  for (const Target& target : decision.targets) {
    auto it = std::find_if(subflows.begin(), subflows.end(),
                           [&](auto& s) { return s.id == target.subflow_id; });
    ASSERT_NE(it, subflows.end());
    EXPECT_TRUE(IsCandidate(*it, use_backups));
    EXPECT_GT(CwndRoom(*it), 0u);
    EXPECT_EQ(target.max_bytes, std::min(chunk, CwndRoom(*it)));
  }
  if (name == "redundant") {
    EXPECT_EQ(decision.targets.size(), with_room.size());
  }
  if (name == "minrtt" || name == "blest" || name == "ecf") {
    // minRTT's choice, or (BLEST, ECF) the same when they do not wait.
    EXPECT_EQ(decision.targets[0].subflow_id,
              internal::LowestRttWithRoom(subflows, use_backups)->id);
  }
}

TEST_P(AllSchedulersTest, DecisionsKeepTheRulesOnRandomViews) {
  auto scheduler = Create(GetParam());
  RandomViews views(1234);
  int sent = 0, waited = 0;
  for (int i = 0; i < 5000; ++i) {
    views.Next();
    const Decision decision =
        scheduler->Schedule(views.connection, views.subflows);
    CheckInvariants(GetParam(), views.connection, views.subflows, decision);
    sent += decision.action == Action::kSend;
    waited += decision.action == Action::kWaitForFaster;
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GT(sent, 500);  // the random views do exercise sending
  if (GetParam() == "blest" || GetParam() == "ecf") {
    EXPECT_GT(waited, 50);
  }
}

// Switching: after any history of `from`, a new `to` object decides exactly
// as a fresh `to` did on the same views before anything else ran (no state
// shared between objects, nothing left behind by `from`), and keeps the
// rules.
TEST_P(AllSchedulersTest, SwitchingMidConnectionStartsFresh) {
  const std::string to = GetParam();
  // The reference: a fresh `to` on the view sequence of seed 99.
  std::vector<Decision> reference;
  {
    auto fresh = Create(to);
    RandomViews views(99);
    for (int i = 0; i < 300; ++i) {
      views.Next();
      reference.push_back(fresh->Schedule(views.connection, views.subflows));
    }
  }
  for (const std::string& from : SchedulerNames()) {
    for (int history : {0, 1, 7, 250}) {
      SCOPED_TRACE(from + " -> " + to + " after " + std::to_string(history));
      std::unique_ptr<Scheduler> scheduler = Create(from);
      RandomViews before(7 + history);
      for (int i = 0; i < history; ++i) {
        before.Next();
        scheduler->Schedule(before.connection, before.subflows);
      }
      scheduler = Create(to);  // the switch
      RandomViews views(99);
      for (int i = 0; i < 300; ++i) {
        views.Next();
        const Decision decision =
            scheduler->Schedule(views.connection, views.subflows);
        CheckInvariants(to, views.connection, views.subflows, decision);
        ASSERT_TRUE(SameDecision(decision, reference[i])) << "step " << i;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Registered, AllSchedulersTest,
                         ValuesIn(SchedulerNames()),
                         [](const auto& info) { return info.param; });

// Concrete switches out of states that matter.
TEST(SwitchingTest, EcfWaitingThenMinRttThenFreshEcf) {
  SubflowView fast = Subflow(1, Milliseconds(10), 10000, 10000);
  fast.rttvar = Milliseconds(2);
  SubflowView slow = Subflow(2, Milliseconds(100), 10000);
  slow.rttvar = Milliseconds(5);
  const std::vector<SubflowView> subflows = {fast, slow};
  // ECF waits at k = 94999 (ecf_test.cc) and, once waiting, also at 100000.
  auto scheduler = Create("ecf");
  EXPECT_EQ(scheduler->Schedule(Connection(94999), subflows).action,
            Action::kWaitForFaster);
  EXPECT_EQ(scheduler->Schedule(Connection(100000), subflows).action,
            Action::kWaitForFaster);
  // minRTT sends on the slow subflow at once.
  scheduler = Create("minrtt");
  EXPECT_THAT(scheduler->Schedule(Connection(100000), subflows).targets,
              ElementsAre(Target{2, 1000}));
  // A fresh ECF is not waiting: k = 100000 >= 95000 uses the slow subflow.
  scheduler = Create("ecf");
  EXPECT_THAT(scheduler->Schedule(Connection(100000), subflows).targets,
              ElementsAre(Target{2, 1000}));
}

TEST(SwitchingTest, RoundRobinMidRotationThenBlestThenRoundRobin) {
  const std::vector<SubflowView> subflows = {
      Subflow(1, Milliseconds(40), 100000),
      Subflow(2, Milliseconds(10), 100000),
      Subflow(3, Milliseconds(20), 100000),
  };
  auto scheduler = Create("roundrobin");
  EXPECT_THAT(scheduler->Schedule(Connection(50000), subflows).targets,
              ElementsAre(Target{1, 1000}));
  EXPECT_THAT(scheduler->Schedule(Connection(50000), subflows).targets,
              ElementsAre(Target{2, 1000}));
  scheduler = Create("blest");  // the fastest has room: it gets the data
  EXPECT_THAT(scheduler->Schedule(Connection(50000), subflows).targets,
              ElementsAre(Target{2, 1000}));
  scheduler = Create("roundrobin");  // a fresh rotation starts at id 1
  EXPECT_THAT(scheduler->Schedule(Connection(50000), subflows).targets,
              ElementsAre(Target{1, 1000}));
  scheduler = Create("redundant");
  EXPECT_THAT(scheduler->Schedule(Connection(50000), subflows).targets,
              ElementsAre(Target{1, 1000}, Target{2, 1000}, Target{3, 1000}));
}

}  // namespace
}  // namespace plait::sched
