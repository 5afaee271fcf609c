// Runs every scenario in sim/scenarios/ and asserts its expected outcome
// (each file's header comment says what it expects). Exact and repeatable:
// the simulator is deterministic, so these are not timing-dependent.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "dataplane/cc/cubic.h"
#include "gtest/gtest.h"
#include "sim/scenario.h"
#include "sim/scenario_runner.h"

namespace plait::sim {
namespace {

ScenarioReport RunNamed(const std::string& name,
                        std::optional<uint64_t> seed = {}) {
  const std::string path = "sim/scenarios/" + name + ".textproto";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream text;
  text << in.rdbuf();
  auto scenario = ParseScenario(text.str(), path);
  EXPECT_TRUE(scenario.ok()) << scenario.status();
  if (!scenario.ok()) return {};
  RunOptions options;
  options.seed = seed;
  auto result = RunScenario(*scenario, options);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? result->report : ScenarioReport{};
}

const LinkReport& LinkNamed(const ScenarioReport& r, const std::string& name) {
  for (const LinkReport& l : r.links) {
    if (l.name == name) return l;
  }
  static const LinkReport none;
  ADD_FAILURE() << "no link " << name;
  return none;
}

void ExpectCleanEnd(const FlowReport& f) {
  EXPECT_TRUE(f.intact) << f.name;
  EXPECT_TRUE(f.completed) << f.name;
  EXPECT_TRUE(f.sender_end == "time-wait" || f.sender_end == "closed")
      << f.name << ": " << f.sender_end;
  EXPECT_EQ(f.receiver_end, "closed") << f.name;
}

// Efficiency: one CUBIC flow keeps a 100 Mbit/s link with a BDP queue at
// least 95% busy after slow start, without a single timeout.
TEST(ScenariosTest, CubicFillsTheLink) {
  const ScenarioReport r = RunNamed("cubic_100mbps_20ms");
  ASSERT_EQ(r.flows.size(), 1u);
  ExpectCleanEnd(r.flows[0]);
  EXPECT_GE(LinkNamed(r, "path:client->server").utilization, 0.95);
  EXPECT_EQ(r.flows[0].rto_count, 0u);
}

TEST(ScenariosTest, RenoFillsTheLink) {
  const ScenarioReport r = RunNamed("reno_100mbps_20ms");
  ASSERT_EQ(r.flows.size(), 1u);
  ExpectCleanEnd(r.flows[0]);
  EXPECT_GE(LinkNamed(r, "path:client->server").utilization, 0.90);
  EXPECT_EQ(r.flows[0].rto_count, 0u);
}

// With 1% random loss, CUBIC's goodput follows its response function. At
// this small BDP the Reno-friendly region of RFC 9438 (section 4.3) governs:
// W = sqrt(3 / (2p)) segments per RTT (the Mathis model, which CUBIC's
// alpha = 3(1-beta)/(1+beta) is chosen to match), so the predicted rate is
// W * MSS / RTT. The measured goodput must be within 25% of it.
TEST(ScenariosTest, CubicUnderRandomLossFollowsItsResponseFunction) {
  const ScenarioReport r = RunNamed("cubic_1pct_loss");
  ASSERT_EQ(r.flows.size(), 1u);
  const FlowReport& f = r.flows[0];
  ExpectCleanEnd(f);
  const double rtt_s = f.rtt.mean_ms / 1000;
  const double segments =
      cc::CubicEffectiveResponseFunctionSegments(0.01, rtt_s);
  const double predicted_mbps = segments * 1448 * 8 / rtt_s / 1e6;
  const double ratio = f.goodput_mbps / predicted_mbps;
  EXPECT_GT(ratio, 0.75) << f.goodput_mbps << " vs " << predicted_mbps;
  EXPECT_LT(ratio, 1.25) << f.goodput_mbps << " vs " << predicted_mbps;
}

// Recovery: a 10 s outage costs the transfer the outage plus the backed-off
// retransmission timer, not more, and nothing is lost or duplicated.
TEST(ScenariosTest, LinkFlapCompletesIntact) {
  const ScenarioReport r = RunNamed("link_flap");
  ASSERT_EQ(r.flows.size(), 1u);
  const FlowReport& f = r.flows[0];
  ExpectCleanEnd(f);
  EXPECT_GT(f.rto_count, 0u);
  // 20 MB at 20 Mbit/s is 8 s; 10 s down; the last backed-off RTO before
  // the link returned was at most 6.4 s long.
  EXPECT_LT(f.completion_time_s, 8 + 10 + 6.4 + 1);
  EXPECT_GT(LinkNamed(r, "path:client->server").stats.dropped(DropCause::kDown),
            0u);
}

TEST(ScenariosTest, SharedBottleneckStaysBusyAndEveryFlowCompletes) {
  const ScenarioReport r = RunNamed("shared_bottleneck");
  ASSERT_EQ(r.flows.size(), 3u);
  for (const FlowReport& f : r.flows) ExpectCleanEnd(f);
  EXPECT_GE(LinkNamed(r, "bottleneck:left->right").utilization, 0.95);
  // Nobody is starved: the shortest-RTT flow takes the most, but each gets
  // at least a tenth of the link.
  for (const FlowReport& f : r.flows) EXPECT_GT(f.goodput_mbps, 5) << f.name;
}

// Fairness: two CUBIC flows with equal RTTs on one bottleneck for 60 s.
TEST(ScenariosTest, TwoCubicFlowsShareFairly) {
  const ScenarioReport r = RunNamed("fairness_two_cubic");
  ASSERT_EQ(r.flows.size(), 2u);
  double sum = 0;
  double sum_of_squares = 0;
  for (const FlowReport& f : r.flows) {
    ExpectCleanEnd(f);
    sum += f.goodput_mbps;
    sum_of_squares += f.goodput_mbps * f.goodput_mbps;
  }
  const double jain = sum * sum / (2 * sum_of_squares);
  EXPECT_GE(jain, 0.95) << r.flows[0].goodput_mbps << " and "
                        << r.flows[1].goodput_mbps;
  EXPECT_GE(LinkNamed(r, "bottleneck:left->right").utilization, 0.95);
}

TEST(ScenariosTest, TcpSurvivesStrippingRewritingAndNat) {
  const ScenarioReport r = RunNamed("middleboxes");
  ASSERT_EQ(r.flows.size(), 3u);
  for (const FlowReport& f : r.flows) ExpectCleanEnd(f);
}

// Robustness: bad checksums, out-of-window copies, blind RSTs and random
// bytes change nothing: the same bytes arrive and the connection closes
// normally; each kind of garbage was seen and refused.
TEST(ScenariosTest, HostileInjectionChangesNothing) {
  const ScenarioReport r = RunNamed("hostile_path");
  ASSERT_EQ(r.flows.size(), 1u);
  const FlowReport& f = r.flows[0];
  ExpectCleanEnd(f);
  EXPECT_GT(f.receiver_challenge_acks, 100u);    // blind RSTs
  EXPECT_GT(f.receiver_dropped_segments, 100u);  // out of window
  ASSERT_EQ(r.hosts.size(), 2u);
  EXPECT_EQ(r.hosts[1].name, "server");
  EXPECT_GT(r.hosts[1].bad_checksum, 100u);
  EXPECT_GT(r.hosts[1].malformed, 100u);
  EXPECT_EQ(r.hosts[0].bad_checksum + r.hosts[0].malformed, 0u);
}

TEST(ScenariosTest, ImpairedPathCompletesIntact) {
  const ScenarioReport r = RunNamed("impaired_path");
  ASSERT_EQ(r.flows.size(), 1u);
  ExpectCleanEnd(r.flows[0]);
  const LinkStats& s = LinkNamed(r, "path:client->server").stats;
  EXPECT_GT(s.dropped(DropCause::kBurstLoss), 0u);
  EXPECT_GT(s.dropped(DropCause::kRandomLoss), 0u);
}

TEST(ScenariosTest, AbortEndsWithAResetAndAnIntactPrefix) {
  const ScenarioReport r = RunNamed("reset");
  ASSERT_EQ(r.flows.size(), 1u);
  const FlowReport& f = r.flows[0];
  EXPECT_EQ(f.sender_end, "aborted");
  EXPECT_EQ(f.receiver_end, "reset");
  EXPECT_FALSE(f.completed);
  EXPECT_TRUE(f.prefix_intact);
  EXPECT_GT(f.bytes_delivered, 1'000'000u);
}

TEST(ScenariosTest, RegressionMptcpReadReentry) {
  const ScenarioReport r = RunNamed("regression_mptcp_read_reentry");
  ASSERT_EQ(r.flows.size(), 1u);
  EXPECT_TRUE(r.flows[0].prefix_intact);
  ExpectCleanEnd(r.flows[0]);
}

TEST(ScenariosTest, RegressionPacingAfterFin) {
  const ScenarioReport r = RunNamed("regression_pacing_after_fin");
  ASSERT_EQ(r.flows.size(), 1u);
  ExpectCleanEnd(r.flows[0]);
}

// --- MPTCP ----------------------------------------------------------------

uint64_t SubflowBytes(const FlowReport& f, size_t i) {
  return i < f.subflows.size() ? f.subflows[i].bytes_acked : 0;
}

// Two disjoint 50 Mbit/s paths, LIA: one connection gets at least 90% of
// their sum, over both subflows.
TEST(ScenariosTest, MptcpAggregatesTwoPaths) {
  const ScenarioReport r = RunNamed("mptcp_aggregation");
  ASSERT_EQ(r.flows.size(), 1u);
  const FlowReport& f = r.flows[0];
  ExpectCleanEnd(f);
  EXPECT_TRUE(f.mptcp);
  EXPECT_FALSE(f.fallback);
  ASSERT_EQ(f.subflows.size(), 2u);
  EXPECT_GE(f.goodput_mbps, 90.0);
  // Each subflow carries a fair part (a third at least) of the stream.
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_GT(SubflowBytes(f, i), f.bytes_delivered / 3) << i;
  }
}

// The client's link on path2 goes down for good mid-transfer: the path
// manager closes that subflow at once (the host sees its link go down), its
// data is reinjected on path1, and the transfer completes intact with no
// stall as long as two of path1's RTOs.
TEST(ScenariosTest, MptcpSurvivesTheLossOfAPath) {
  const ScenarioReport r = RunNamed("mptcp_failover");
  ASSERT_EQ(r.flows.size(), 1u);
  const FlowReport& f = r.flows[0];
  ExpectCleanEnd(f);
  ASSERT_EQ(f.subflows.size(), 2u);
  EXPECT_GT(SubflowBytes(f, 1), 0u);  // path2 carried data before it failed
  EXPECT_EQ(f.subflows[1].state, "CLOSED");
  EXPECT_GT(f.bytes_reinjected, 0u);
  EXPECT_LT(f.longest_stall_s, 2 * f.subflows[0].rto_ms / 1000);
  // 2 s on both paths, then 20 Mbit/s: about 11 s.
  EXPECT_LT(f.completion_time_s, 13.0);
}

// A link in the middle of path2 fails (no host sees it) and is repaired 4 s
// later: the subflow's retransmission timeout finds it, its data goes on
// path1 with a stall shorter than two of path1's RTOs, and after the repair
// the same subflow carries data to the end.
TEST(ScenariosTest, MptcpSurvivesARemotePathFailure) {
  const ScenarioReport r = RunNamed("mptcp_failover_remote");
  ASSERT_EQ(r.flows.size(), 1u);
  const FlowReport& f = r.flows[0];
  ExpectCleanEnd(f);
  ASSERT_EQ(f.subflows.size(), 2u);
  EXPECT_GT(f.subflows[1].rto_count, 0u);
  EXPECT_GT(f.bytes_reinjected, 0u);
  EXPECT_LT(f.longest_stall_s, 2 * f.subflows[0].rto_ms / 1000);
  EXPECT_EQ(f.subflows[1].state, "TIME-WAIT");  // it closed normally
  // More than path2 could carry in the 2 s before the failure: it carried
  // data again after the repair.
  EXPECT_GT(SubflowBytes(f, 1), 2 * 20e6 / 8);
}

// The client's link on path2 goes down at 2 s and comes back at 4 s: the
// path manager re-creates a subflow on path2 at once, and it carries data.
TEST(ScenariosTest, MptcpRecreatesASubflowWhenItsPathReturns) {
  const ScenarioReport r = RunNamed("mptcp_failover_return");
  ASSERT_EQ(r.flows.size(), 1u);
  const FlowReport& f = r.flows[0];
  ExpectCleanEnd(f);
  ASSERT_EQ(f.subflows.size(), 3u);
  EXPECT_EQ(f.subflows[1].state, "CLOSED");
  EXPECT_EQ(f.subflows[2].local.rfind("10.0.2.1:", 0), 0u)
      << f.subflows[2].local;
  EXPECT_GT(SubflowBytes(f, 2), 1'000'000u);
  EXPECT_GT(f.bytes_reinjected, 0u);
}

// mptcp_aggregation with the initial subflow only ("none") until 10 s, when
// the client switches to fullmesh: the subflow on path2 is opened then,
// carries its share, and the stream arrives whole.
TEST(ScenariosTest, MptcpPathManagerSwitchOpensTheMissingSubflow) {
  const std::string path = "sim/scenarios/mptcp_aggregation.textproto";
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << path;
  std::stringstream text;
  text << in.rdbuf();
  auto scenario = ParseScenario(text.str(), path);
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  v1::Mptcp* m = scenario->mutable_flows(0)->mutable_mptcp();
  m->set_path_manager("none");
  v1::PathManagerSwitch* sw = m->add_path_manager_switches();
  sw->set_at_s(10);
  sw->set_path_manager("fullmesh");
  auto result = RunScenario(*scenario, RunOptions{});
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->report.flows.size(), 1u);
  const FlowReport& f = result->report.flows[0];
  ExpectCleanEnd(f);
  EXPECT_EQ(f.path_manager_switches, 1u);
  EXPECT_EQ(f.path_manager, "fullmesh");
  ASSERT_EQ(f.subflows.size(), 2u);
  EXPECT_EQ(f.subflows[1].local.rfind("10.0.2.1:", 0), 0u)
      << f.subflows[1].local;
  // About 20 s at 50 Mbit/s on path2 (125 MB): well over a third of that.
  EXPECT_GT(SubflowBytes(f, 1), 40'000'000u);
  // 10 s on one path, then on two: more than one path, less than two give.
  EXPECT_GT(f.goodput_mbps, 55.0);
  EXPECT_LT(f.goodput_mbps, 90.0);
}

// The regular path (the initial subflow's) fails for good: the backup
// subflow carries everything the regular one did not deliver.
TEST(ScenariosTest, MptcpBackupTakesOverWhenTheRegularPathFails) {
  const ScenarioReport r = RunNamed("mptcp_backup_takeover");
  ASSERT_EQ(r.flows.size(), 1u);
  const FlowReport& f = r.flows[0];
  ExpectCleanEnd(f);
  ASSERT_EQ(f.subflows.size(), 2u);
  EXPECT_TRUE(f.subflows[1].backup);
  EXPECT_EQ(f.subflows[0].state, "CLOSED");
  EXPECT_GE(SubflowBytes(f, 1), f.bytes_delivered - SubflowBytes(f, 0));
  EXPECT_GT(SubflowBytes(f, 1), f.bytes_delivered / 2);
}

// A middlebox strips MPTCP options right after the handshake, or in the
// middle of the transfer: both ends fall back to plain TCP on the one
// subflow (RFC 8684 3.7) and every byte arrives once, in order.
TEST(ScenariosTest, MptcpFallsBackWhenOptionsAreStrippedAfterTheHandshake) {
  for (const char* name :
       {"mptcp_strip_after_handshake", "mptcp_strip_midstream"}) {
    SCOPED_TRACE(name);
    const ScenarioReport r = RunNamed(name);
    ASSERT_EQ(r.flows.size(), 1u);
    const FlowReport& f = r.flows[0];
    ExpectCleanEnd(f);
    EXPECT_TRUE(f.fallback);
    EXPECT_EQ(f.subflows.size(), 1u);
    EXPECT_EQ(f.rto_count, 0u);
  }
}

// Options stripped on one of two paths: the server resets each subflow
// there ("middlebox interference"; the middlebox strips that reason too, so
// the client's path manager retries with backoff); the connection stays
// MPTCP on the other path and every byte arrives through it, intact.
TEST(ScenariosTest, MptcpResetsSubflowsWhosePathStripsOptions) {
  const ScenarioReport r = RunNamed("mptcp_strip_one_path");
  ASSERT_EQ(r.flows.size(), 1u);
  const FlowReport& f = r.flows[0];
  ExpectCleanEnd(f);
  EXPECT_FALSE(f.fallback);
  ASSERT_GE(f.subflows.size(), 2u);
  EXPECT_EQ(f.subflows[1].state, "CLOSED");
  EXPECT_EQ(f.subflows[0].bytes_acked, f.bytes_delivered);
  EXPECT_GT(f.bytes_reinjected, 0u);
}

// The server announces its second address: the client joins it and both
// subflows carry data, about the sum of the two server links.
TEST(ScenariosTest, MptcpJoinsAnAnnouncedAddress) {
  const ScenarioReport r = RunNamed("mptcp_add_addr");
  ASSERT_EQ(r.flows.size(), 1u);
  const FlowReport& f = r.flows[0];
  ExpectCleanEnd(f);
  EXPECT_EQ(f.add_addr_received, 1u);
  EXPECT_EQ(f.add_addr_echoed, 1u);
  ASSERT_EQ(f.subflows.size(), 2u);
  EXPECT_EQ(f.subflows[1].remote, "10.0.9.2:5201");
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_GT(SubflowBytes(f, i), f.bytes_delivered / 3) << i;
  }
  EXPECT_GT(f.goodput_mbps, 30.0);  // one 20 Mbit/s link alone: < 20
}

// A server that does not speak MPTCP: plain TCP, intact.
TEST(ScenariosTest, MptcpFallsBackToPlainTcp) {
  const ScenarioReport r = RunNamed("mptcp_fallback");
  ASSERT_EQ(r.flows.size(), 1u);
  const FlowReport& f = r.flows[0];
  ExpectCleanEnd(f);
  EXPECT_TRUE(f.fallback);
  EXPECT_EQ(f.subflows.size(), 1u);
}

// 20 Mbit/s 10 ms + 10 Mbit/s 60 ms: at least 85% of the sum, and better
// than the best path alone.
TEST(ScenariosTest, MptcpUsesHeterogeneousPaths) {
  const ScenarioReport r = RunNamed("mptcp_heterogeneous");
  ASSERT_EQ(r.flows.size(), 1u);
  const FlowReport& f = r.flows[0];
  ExpectCleanEnd(f);
  ASSERT_EQ(f.subflows.size(), 2u);
  EXPECT_GE(f.goodput_mbps, 0.85 * 30);
  EXPECT_GE(f.goodput_mbps, 20.0);
  for (size_t i = 0; i < 2; ++i) EXPECT_GT(SubflowBytes(f, i), 0u) << i;
}

// A backup subflow is opened but carries nothing while the regular one
// works.
TEST(ScenariosTest, MptcpBackupSubflowStaysIdle) {
  const ScenarioReport r = RunNamed("mptcp_backup");
  ASSERT_EQ(r.flows.size(), 1u);
  const FlowReport& f = r.flows[0];
  ExpectCleanEnd(f);
  ASSERT_EQ(f.subflows.size(), 2u);
  EXPECT_EQ(f.subflows[0].bytes_acked, f.bytes_delivered);
  EXPECT_EQ(f.subflows[1].bytes_sent, 0u);
  EXPECT_EQ(f.subflows[1].state, "TIME-WAIT");  // it was established
}

// Replayed segments (a replay box on each path, both directions, 2% of the
// packets passing) are dropped by the receiver and change nothing: the
// stream is intact, both subflows carry data, no subflow is reset (nothing
// is reinjected). The same scenario without replays drops nothing, so the
// drops counted are the replays.
TEST(ScenariosTest, MptcpShrugsOffReplayedSegments) {
  const ScenarioReport r = RunNamed("mptcp_replay");
  ASSERT_EQ(r.flows.size(), 1u);
  const FlowReport& f = r.flows[0];
  ExpectCleanEnd(f);
  EXPECT_FALSE(f.fallback);
  ASSERT_EQ(f.subflows.size(), 2u);
  for (const FlowReport::Subflow& s : f.subflows) {
    EXPECT_GT(s.bytes_acked, f.bytes_delivered / 4) << s.local;
    EXPECT_EQ(s.state, "TIME-WAIT") << s.local;
  }
  EXPECT_EQ(f.bytes_reinjected, 0u);
  EXPECT_GT(f.receiver_dropped_segments, 20u);

  std::ifstream in("sim/scenarios/mptcp_replay.textproto");
  std::stringstream text;
  text << in.rdbuf();
  auto quiet = ParseScenario(text.str(), "mptcp_replay.textproto");
  ASSERT_TRUE(quiet.ok()) << quiet.status();
  for (v1::Link& link : *quiet->mutable_links()) {
    for (v1::Middlebox& box : *link.mutable_middleboxes()) {
      ASSERT_TRUE(box.has_replay());
      box.mutable_replay()->set_probability(0);
    }
  }
  auto control = RunScenario(*quiet);
  ASSERT_TRUE(control.ok()) << control.status();
  ExpectCleanEnd(control->report.flows[0]);
  EXPECT_EQ(control->report.flows[0].receiver_dropped_segments, 0u);
}

TEST(ScenariosTest, MptcpSameSeedSameReport) {
  EXPECT_EQ(RunNamed("mptcp_failover").ToJson(),
            RunNamed("mptcp_failover").ToJson());
}

// Fairness with coupled congestion control: an MPTCP connection whose two
// subflows share one bottleneck with a single-path CUBIC flow takes at most
// 1.3 times that flow's goodput (lia, olia, balia); uncoupled CUBIC
// subflows are reported, not bounded (they take about twice as much).
class CoupledFairnessTest : public testing::TestWithParam<const char*> {};

TEST_P(CoupledFairnessTest, MptcpTakesNoMoreThanItsShare) {
  const std::string cc = GetParam();
  const ScenarioReport r = RunNamed("mptcp_fairness_" + cc);
  ASSERT_EQ(r.flows.size(), 2u);
  for (const FlowReport& f : r.flows) ExpectCleanEnd(f);
  const double ratio = r.flows[0].goodput_mbps / r.flows[1].goodput_mbps;
  std::printf("%s: MPTCP %.2f Mbit/s, CUBIC %.2f Mbit/s, ratio %.3f\n",
              cc.c_str(), r.flows[0].goodput_mbps, r.flows[1].goodput_mbps,
              ratio);
  if (cc != "cubic") {
    EXPECT_LE(ratio, 1.3);
  }
  EXPECT_GE(LinkNamed(r, "bottleneck:left->right").utilization, 0.9);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, CoupledFairnessTest,
                         testing::Values("lia", "olia", "balia", "cubic"));

TEST(ScenariosTest, SameSeedSameReportOtherSeedOtherReport) {
  const std::string a = RunNamed("impaired_path").ToJson();
  const std::string b = RunNamed("impaired_path").ToJson();
  EXPECT_EQ(a, b);
  const std::string c = RunNamed("impaired_path", 12345).ToJson();
  EXPECT_NE(a, c);
}

}  // namespace
}  // namespace plait::sim
