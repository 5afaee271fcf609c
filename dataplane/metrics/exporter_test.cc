#include "dataplane/metrics/exporter.h"

#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "dataplane/metrics/snapshot.h"
#include "dataplane/wire/ip_address.h"
#include "gtest/gtest.h"
#include "prometheus/check_names.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"

namespace plait::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::map<std::string, std::string>;

wire::IpAddress Ip(const char* text) { return *wire::IpAddress::Parse(text); }

class ExporterTest : public ::testing::Test {
 protected:
  std::vector<MetricFamily> Collect() {
    return exporter_.registry()->Collect();
  }

  const MetricFamily* Family(const std::string& name) {
    families_ = Collect();
    for (const MetricFamily& f : families_) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }
  // The child of `name` with exactly `labels`, or null.
  const ClientMetric* Metric(const std::string& name, const Labels& labels) {
    const MetricFamily* family = Family(name);
    if (family == nullptr) return nullptr;
    for (const ClientMetric& m : family->metric) {
      Labels have;
      for (const auto& l : m.label) have[l.name] = l.value;
      if (have == labels) return &m;
    }
    return nullptr;
  }
  double CounterValue(const std::string& name, const Labels& labels = {}) {
    const ClientMetric* m = Metric(name, labels);
    EXPECT_NE(m, nullptr) << name;
    return m == nullptr ? -1 : m->counter.value;
  }
  double GaugeValue(const std::string& name, const Labels& labels = {}) {
    const ClientMetric* m = Metric(name, labels);
    EXPECT_NE(m, nullptr) << name;
    return m == nullptr ? -1 : m->gauge.value;
  }

  MetricsExporter exporter_;
  std::vector<MetricFamily> families_;
};

MetricsSnapshot Busy() {
  MetricsSnapshot s;
  s.paths = {{Ip("10.1.0.11"), 10, 20, 1000, 2000},
             {Ip("fd00::11"), 1, 2, 100, 200}};
  s.stack.segments = 30;
  s.stack.bad_checksum = 1;
  s.stack.malformed = 2;
  s.stack.no_connection = 3;
  s.stack.refused = 4;
  s.stack.refused_for_memory = 1;
  s.stack.joins = 5;
  s.stack.joins_unknown_token = 2;
  s.stack.joins_refused = 1;
  s.connections_connecting = 1;
  s.connections_established = 2;
  s.connections_closing = 3;
  s.subflows = 4;
  s.totals.bytes_retransmitted = 1460;
  s.totals.segments_retransmitted = 1;
  s.totals.bytes_reinjected = 700;
  s.totals.fallbacks = 1;
  s.totals.joins_refused = 3;
  s.totals.add_addr_rejected = 1;
  s.totals.chunks_by_scheduler = {{"minrtt", 40}, {"redundant", 2}};
  s.io_drops = {{"received", "bad_magic", 6}, {"sent", "queue_full", 7}};
  s.policy_generation = 3;
  s.policy_refusals = 2;
  return s;
}

TEST_F(ExporterTest, NamesFollowPrometheusConventions) {
  exporter_.Update(Busy());
  const std::set<std::string> allowed_labels = {
      "path",   "direction", "state",
      "reason", "scheduler", "congestion_control"};
  const std::vector<MetricFamily> families = Collect();
  ASSERT_FALSE(families.empty());
  for (const MetricFamily& f : families) {
    SCOPED_TRACE(f.name);
    EXPECT_TRUE(prometheus::CheckMetricName(f.name));
    EXPECT_TRUE(absl::StartsWith(f.name, "plait_"));
    EXPECT_FALSE(f.help.empty());
    EXPECT_EQ(f.type == MetricType::Counter, absl::EndsWith(f.name, "_total"));
    if (f.type == MetricType::Histogram) {
      EXPECT_TRUE(absl::EndsWith(f.name, "_seconds") ||
                  absl::EndsWith(f.name, "_bytes"));
    }
    for (const ClientMetric& m : f.metric) {
      for (const auto& label : m.label) {
        EXPECT_TRUE(prometheus::CheckLabelName(label.name)) << label.name;
        EXPECT_TRUE(allowed_labels.contains(label.name)) << label.name;
      }
    }
  }
}

TEST_F(ExporterTest, FixedSeriesExistBeforeAnyUpdate) {
  EXPECT_EQ(GaugeValue("plait_connections", {{"state", "established"}}), 0);
  EXPECT_EQ(CounterValue("plait_mptcp_joins_rejected_total",
                         {{"reason", "unknown_token"}}),
            0);
  EXPECT_EQ(CounterValue("plait_stack_segments_dropped_total",
                         {{"reason", "bad_checksum"}}),
            0);
  const ClientMetric* lag = Metric("plait_event_loop_lag_seconds", {});
  ASSERT_NE(lag, nullptr);
  EXPECT_EQ(lag->histogram.sample_count, 0u);
}

TEST_F(ExporterTest, ExportsEveryQuantityWithItsLabels) {
  exporter_.Update(Busy());
  EXPECT_EQ(CounterValue("plait_path_packets_total",
                         {{"path", "10.1.0.11"}, {"direction", "sent"}}),
            10);
  EXPECT_EQ(CounterValue("plait_path_packets_total",
                         {{"path", "10.1.0.11"}, {"direction", "received"}}),
            20);
  EXPECT_EQ(CounterValue("plait_path_bytes_total",
                         {{"path", "fd00::11"}, {"direction", "received"}}),
            200);
  EXPECT_EQ(CounterValue("plait_stack_segments_received_total"), 30);
  EXPECT_EQ(CounterValue("plait_stack_segments_dropped_total",
                         {{"reason", "malformed"}}),
            2);
  EXPECT_EQ(CounterValue("plait_stack_segments_dropped_total",
                         {{"reason", "no_connection"}}),
            3);
  EXPECT_EQ(CounterValue("plait_stack_refused_total"), 4);
  EXPECT_EQ(CounterValue("plait_stack_refused_for_memory_total"), 1);
  EXPECT_EQ(CounterValue("plait_mptcp_joins_accepted_total"), 5);
  EXPECT_EQ(CounterValue("plait_mptcp_joins_rejected_total",
                         {{"reason", "unknown_token"}}),
            2);
  // The connections' count, not the stack's subset of it.
  EXPECT_EQ(
      CounterValue("plait_mptcp_joins_rejected_total", {{"reason", "refused"}}),
      3);
  EXPECT_EQ(CounterValue("plait_mptcp_add_addr_rejected_total"), 1);
  EXPECT_EQ(CounterValue("plait_mptcp_fallbacks_total"), 1);
  EXPECT_EQ(GaugeValue("plait_connections", {{"state", "connecting"}}), 1);
  EXPECT_EQ(GaugeValue("plait_connections", {{"state", "established"}}), 2);
  EXPECT_EQ(GaugeValue("plait_connections", {{"state", "closing"}}), 3);
  EXPECT_EQ(GaugeValue("plait_subflows"), 4);
  EXPECT_EQ(CounterValue("plait_subflow_retransmitted_bytes_total"), 1460);
  EXPECT_EQ(CounterValue("plait_subflow_retransmitted_segments_total"), 1);
  EXPECT_EQ(CounterValue("plait_mptcp_reinjected_bytes_total"), 700);
  EXPECT_EQ(CounterValue("plait_scheduler_decisions_total",
                         {{"scheduler", "minrtt"}}),
            40);
  EXPECT_EQ(CounterValue("plait_scheduler_decisions_total",
                         {{"scheduler", "redundant"}}),
            2);
  EXPECT_EQ(CounterValue("plait_io_packets_dropped_total",
                         {{"direction", "received"}, {"reason", "bad_magic"}}),
            6);
  EXPECT_EQ(CounterValue("plait_io_packets_dropped_total",
                         {{"direction", "sent"}, {"reason", "queue_full"}}),
            7);
  EXPECT_EQ(GaugeValue("plait_policy_generation"), 3);
  EXPECT_EQ(CounterValue("plait_policy_refusals_total"), 2);
}

TEST_F(ExporterTest, SecondUpdateAddsOnlyTheDifference) {
  exporter_.Update(Busy());
  MetricsSnapshot later = Busy();
  later.paths[0].packets_sent = 15;
  later.totals.bytes_retransmitted = 2920;
  later.connections_established = 1;  // a gauge goes down
  exporter_.Update(later);
  EXPECT_EQ(CounterValue("plait_path_packets_total",
                         {{"path", "10.1.0.11"}, {"direction", "sent"}}),
            15);
  EXPECT_EQ(CounterValue("plait_subflow_retransmitted_bytes_total"), 2920);
  EXPECT_EQ(CounterValue("plait_stack_segments_received_total"), 30);
  EXPECT_EQ(GaugeValue("plait_connections", {{"state", "established"}}), 1);
}

TEST_F(ExporterTest, CountersNeverGoBack) {
  exporter_.Update(Busy());
  // A scheduler switch moves a live connection's chunks to another name; a
  // freed subflow takes its retransmissions along.
  MetricsSnapshot smaller = Busy();
  smaller.totals.chunks_by_scheduler = {{"minrtt", 10}, {"redundant", 32}};
  smaller.totals.bytes_retransmitted = 100;
  exporter_.Update(smaller);
  EXPECT_EQ(CounterValue("plait_scheduler_decisions_total",
                         {{"scheduler", "minrtt"}}),
            40);
  EXPECT_EQ(CounterValue("plait_scheduler_decisions_total",
                         {{"scheduler", "redundant"}}),
            32);
  EXPECT_EQ(CounterValue("plait_subflow_retransmitted_bytes_total"), 1460);
  // Counting resumes once the total passes the highest one exported.
  smaller.totals.chunks_by_scheduler["minrtt"] = 41;
  exporter_.Update(smaller);
  EXPECT_EQ(CounterValue("plait_scheduler_decisions_total",
                         {{"scheduler", "minrtt"}}),
            41);
}

TEST_F(ExporterTest, SubflowSamplesFillHistogramsPerPath) {
  MetricsSnapshot s;
  s.subflow_samples = {{Ip("10.1.0.11"), 0.004, 30000, "cubic"},
                       {Ip("10.1.0.11"), 0.2, 3000000, "cubic"},
                       {Ip("10.2.0.11"), 0.03, 14600, "lia"}};
  exporter_.Update(s);
  exporter_.Update(s);  // one sample per subflow per update
  const ClientMetric* rtt =
      Metric("plait_subflow_rtt_seconds", {{"path", "10.1.0.11"}});
  ASSERT_NE(rtt, nullptr);
  EXPECT_EQ(rtt->histogram.sample_count, 4u);
  EXPECT_DOUBLE_EQ(rtt->histogram.sample_sum, 2 * (0.004 + 0.2));
  for (const auto& bucket : rtt->histogram.bucket) {
    const uint64_t expected = bucket.upper_bound < 0.004 ? 0
                              : bucket.upper_bound < 0.2 ? 2
                                                         : 4;
    EXPECT_EQ(bucket.cumulative_count, expected) << bucket.upper_bound;
  }
  EXPECT_EQ(rtt->histogram.bucket.back().upper_bound,
            std::numeric_limits<double>::infinity());

  const ClientMetric* cwnd =
      Metric("plait_subflow_cwnd_bytes",
             {{"path", "10.2.0.11"}, {"congestion_control", "lia"}});
  ASSERT_NE(cwnd, nullptr);
  EXPECT_EQ(cwnd->histogram.sample_count, 2u);
  for (const auto& bucket : cwnd->histogram.bucket) {
    EXPECT_EQ(bucket.cumulative_count, bucket.upper_bound < 14600 ? 0u : 2u)
        << bucket.upper_bound;
  }
  EXPECT_EQ(Metric("plait_subflow_cwnd_bytes",
                   {{"path", "10.1.0.11"}, {"congestion_control", "lia"}}),
            nullptr);
}

TEST_F(ExporterTest, EventLoopLagKeepsTheLoopsBuckets) {
  runtime::LagHistogram lag;
  lag.Record(Microseconds(5));  // <= 10 us
  lag.Record(Milliseconds(3));  // <= 5 ms
  MetricsSnapshot s;
  s.event_loop_lag = lag.Read();
  exporter_.Update(s);
  lag.Record(Seconds(20));  // +Inf
  lag.Record(Microseconds(7));
  s.event_loop_lag = lag.Read();
  exporter_.Update(s);
  exporter_.Update(s);  // nothing new: nothing added

  const runtime::LagHistogram::Snapshot want = lag.Read();
  const ClientMetric* m = Metric("plait_event_loop_lag_seconds", {});
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->histogram.sample_count, want.count);
  EXPECT_EQ(m->histogram.sample_count, 4u);
  EXPECT_NEAR(m->histogram.sample_sum, want.sum_seconds, 1e-9);
  ASSERT_EQ(m->histogram.bucket.size(), runtime::LagHistogram::kBuckets);
  for (size_t i = 0; i < runtime::LagHistogram::kBuckets; ++i) {
    EXPECT_EQ(m->histogram.bucket[i].cumulative_count, want.cumulative[i]) << i;
    if (i < runtime::LagHistogram::kBoundsSeconds.size()) {
      EXPECT_EQ(m->histogram.bucket[i].upper_bound,
                runtime::LagHistogram::kBoundsSeconds[i]);
    }
  }
}

TEST_F(ExporterTest, TextHasTypeLines) {
  exporter_.Update(Busy());
  const std::string text = exporter_.Text();
  EXPECT_TRUE(absl::StrContains(text, "# TYPE plait_connections gauge"));
  EXPECT_TRUE(
      absl::StrContains(text, "# TYPE plait_event_loop_lag_seconds histogram"));
  EXPECT_TRUE(absl::StrContains(
      text, "plait_path_bytes_total{direction=\"sent\",path=\"10.1.0.11\"}"));
}

TEST(ExporterStartTest, RefusesBadAddressesNamingThem) {
  for (const char* address : {"9464", "localhost:9464", "127.0.0.1:99999",
                              "::1:9464", "[10.0.0.1]:80", "127.0.0.1:"}) {
    auto started = MetricsExporter::Start(address);
    ASSERT_FALSE(started.ok()) << address;
    EXPECT_EQ(started.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(started.status().message(), address))
        << started.status();
  }
}

}  // namespace
}  // namespace plait::metrics
