#include "dataplane/metrics/exporter.h"

#include <array>
#include <exception>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dataplane/metrics/listen_address.h"
#include "dataplane/metrics/total_counter.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace plait::metrics {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

// Subflow RTTs from 100 us (a LAN) to 10 s (a path that is badly stuck).
const Histogram::BucketBoundaries& RttBuckets() {
  static const auto* buckets = new Histogram::BucketBoundaries{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
  return *buckets;
}

// Congestion windows in powers of 2 from 2 KiB (about one segment after a
// timeout) to 64 MiB (a long fat path).
const Histogram::BucketBoundaries& CwndBuckets() {
  static const auto* buckets = [] {
    auto* b = new Histogram::BucketBoundaries;
    for (double v = 2048; v <= 64.0 * 1024 * 1024; v *= 2) b->push_back(v);
    return b;
  }();
  return *buckets;
}

Family<Counter>& CounterFamily(prometheus::Registry& registry,
                               const std::string& name,
                               const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}

Family<Gauge>& GaugeFamily(prometheus::Registry& registry,
                           const std::string& name, const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
}

Family<Histogram>& HistogramFamily(prometheus::Registry& registry,
                                   const std::string& name,
                                   const std::string& help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(registry);
}

}  // namespace

// Every family, and the children already made: Family::Add is slow (it
// hashes the labels under a lock), so each child is made once.
struct MetricsExporter::Series {
  explicit Series(prometheus::Registry& r);

  TotalCounter* Labelled(Family<Counter>& family,
                         std::map<std::string, TotalCounter>& cache,
                         const prometheus::Labels& labels,
                         const std::string& key) {
    auto it = cache.find(key);
    if (it == cache.end()) {
      it = cache.emplace(key, TotalCounter(&family.Add(labels))).first;
    }
    return &it->second;
  }
  Histogram& Child(Family<Histogram>& family,
                   std::map<std::string, Histogram*>& cache,
                   const prometheus::Labels& labels, const std::string& key,
                   const Histogram::BucketBoundaries& buckets) {
    auto it = cache.find(key);
    if (it == cache.end()) {
      it = cache.emplace(key, &family.Add(labels, buckets)).first;
    }
    return *it->second;
  }
  void UpdateLag(const runtime::LagHistogram::Snapshot& lag);

  Family<Counter>& path_packets;
  Family<Counter>& path_bytes;
  std::map<std::string, TotalCounter> path_counters;  // by "path/dir/kind"

  TotalCounter segments_received;
  Family<Counter>& segments_dropped;
  TotalCounter dropped_bad_checksum;
  TotalCounter dropped_malformed;
  TotalCounter dropped_no_connection;
  TotalCounter refused;
  TotalCounter refused_for_memory;
  TotalCounter joins_accepted;
  Family<Counter>& joins_rejected;
  TotalCounter joins_unknown_token;
  TotalCounter joins_refused;
  TotalCounter add_addr_rejected;
  TotalCounter fallbacks;

  Family<Gauge>& connections;
  Gauge& connecting;
  Gauge& established;
  Gauge& closing;
  Gauge& subflows;

  TotalCounter bytes_retransmitted;
  TotalCounter segments_retransmitted;
  TotalCounter bytes_reinjected;
  Family<Counter>& scheduler_decisions;
  std::map<std::string, TotalCounter> by_scheduler;

  Family<Histogram>& rtt;
  std::map<std::string, Histogram*> rtt_by_path;
  Family<Histogram>& cwnd;
  std::map<std::string, Histogram*> cwnd_by_path_cc;

  Family<Counter>& io_dropped;
  std::map<std::string, TotalCounter> io_by_reason;

  Gauge& policy_generation;
  TotalCounter policy_refusals;

  Histogram& lag;
  // What was exported of the loop's lag histogram so far, per bucket (not
  // cumulative) and summed: the next snapshot adds only the difference.
  std::array<uint64_t, runtime::LagHistogram::kBuckets> lag_buckets{};
  double lag_sum = 0;
};

MetricsExporter::Series::Series(prometheus::Registry& r)
    : path_packets(CounterFamily(
          r, "plait_path_packets_total",
          "Packets the node's packet I/O sent or received on each path "
          "(path: the local address).")),
      path_bytes(CounterFamily(
          r, "plait_path_bytes_total",
          "Bytes the node's packet I/O sent or received on each path: IP "
          "packets in TUN mode, UDP payloads in UDP mode.")),
      segments_received(&CounterFamily(r, "plait_stack_segments_received_total",
                                       "TCP segments the stack received.")
                             .Add({})),
      segments_dropped(CounterFamily(
          r, "plait_stack_segments_dropped_total",
          "Segments the stack dropped: bad_checksum and malformed (a packet "
          "that does not parse), or no_connection (answered with a RST).")),
      dropped_bad_checksum(&segments_dropped.Add({{"reason", "bad_checksum"}})),
      dropped_malformed(&segments_dropped.Add({{"reason", "malformed"}})),
      dropped_no_connection(
          &segments_dropped.Add({{"reason", "no_connection"}})),
      refused(&CounterFamily(r, "plait_stack_refused_total",
                             "Connections and subflows the stack refused "
                             "(limits, no owner, MP_JOINs, memory).")
                   .Add({})),
      refused_for_memory(
          &CounterFamily(r, "plait_stack_refused_for_memory_total",
                         "Connections and subflows refused because the "
                         "buffer budget (max_buffer_bytes) was used up.")
               .Add({})),
      joins_accepted(&CounterFamily(r, "plait_mptcp_joins_accepted_total",
                                    "MP_JOIN subflows the stack accepted.")
                          .Add({})),
      joins_rejected(CounterFamily(
          r, "plait_mptcp_joins_rejected_total",
          "MP_JOINs rejected: unknown_token (no connection has the token), "
          "refused (by the connection: limits, closing, bad HMAC).")),
      joins_unknown_token(&joins_rejected.Add({{"reason", "unknown_token"}})),
      joins_refused(&joins_rejected.Add({{"reason", "refused"}})),
      add_addr_rejected(&CounterFamily(r, "plait_mptcp_add_addr_rejected_total",
                                       "ADD_ADDRs rejected (bad HMAC, or "
                                       "before the keys were known).")
                             .Add({})),
      fallbacks(&CounterFamily(r, "plait_mptcp_fallbacks_total",
                               "Connections that fell back to plain TCP.")
                     .Add({})),
      connections(GaugeFamily(r, "plait_connections",
                              "Connections in memory, by state.")),
      connecting(connections.Add({{"state", "connecting"}})),
      established(connections.Add({{"state", "established"}})),
      closing(connections.Add({{"state", "closing"}})),
      subflows(GaugeFamily(r, "plait_subflows",
                           "Subflows not closed, over all connections.")
                   .Add({})),
      bytes_retransmitted(
          &CounterFamily(r, "plait_subflow_retransmitted_bytes_total",
                         "Payload bytes subflows sent again.")
               .Add({})),
      segments_retransmitted(
          &CounterFamily(r, "plait_subflow_retransmitted_segments_total",
                         "Segments subflows sent again.")
               .Add({})),
      bytes_reinjected(
          &CounterFamily(r, "plait_mptcp_reinjected_bytes_total",
                         "Data-level bytes reinjected on another subflow "
                         "after theirs failed or stalled.")
               .Add({})),
      scheduler_decisions(CounterFamily(
          r, "plait_scheduler_decisions_total",
          "Chunks of data the packet scheduler placed on a subflow.")),
      rtt(HistogramFamily(r, "plait_subflow_rtt_seconds",
                          "Smoothed RTT of each open subflow, sampled at "
                          "every metrics update.")),
      cwnd(HistogramFamily(r, "plait_subflow_cwnd_bytes",
                           "Congestion window of each open subflow, sampled "
                           "at every metrics update.")),
      io_dropped(CounterFamily(
          r, "plait_io_packets_dropped_total",
          "Packets the packet I/O dropped, by direction and reason.")),
      policy_generation(GaugeFamily(r, "plait_policy_generation",
                                    "Generation of the policy in force (0: "
                                    "none yet).")
                            .Add({})),
      policy_refusals(&CounterFamily(r, "plait_policy_refusals_total",
                                     "Policies refused (invalid, or not "
                                     "applicable).")
                           .Add({})),
      lag(HistogramFamily(r, "plait_event_loop_lag_seconds",
                          "How late the event loop ran its timers.")
              .Add({}, Histogram::BucketBoundaries(
                           runtime::LagHistogram::kBoundsSeconds.begin(),
                           runtime::LagHistogram::kBoundsSeconds.end()))) {}

void MetricsExporter::Series::UpdateLag(
    const runtime::LagHistogram::Snapshot& snapshot) {
  std::vector<double> increments(runtime::LagHistogram::kBuckets, 0);
  bool any = false;
  uint64_t below = 0;
  for (size_t i = 0; i < runtime::LagHistogram::kBuckets; ++i) {
    const uint64_t in_bucket = snapshot.cumulative[i] - below;
    below = snapshot.cumulative[i];
    // Each bucket only grows; a smaller one (never expected) adds nothing.
    if (in_bucket > lag_buckets[i]) {
      increments[i] = static_cast<double>(in_bucket - lag_buckets[i]);
      lag_buckets[i] = in_bucket;
      any = true;
    }
  }
  double sum = 0;
  if (snapshot.sum_seconds > lag_sum) {
    sum = snapshot.sum_seconds - lag_sum;
    lag_sum = snapshot.sum_seconds;
  }
  if (any || sum > 0) lag.ObserveMultiple(increments, sum);
}

MetricsExporter::MetricsExporter()
    : registry_(std::make_shared<prometheus::Registry>()),
      series_(std::make_unique<Series>(*registry_)) {}

MetricsExporter::~MetricsExporter() = default;

absl::StatusOr<std::unique_ptr<MetricsExporter>> MetricsExporter::Start(
    const std::string& address) {
  absl::StatusOr<std::string> port = CivetwebListeningPort(address);
  if (!port.ok()) return port.status();
  auto exporter = std::make_unique<MetricsExporter>();
  try {
    // Two threads: Prometheus scrapes rarely, and the host is the
    // dataplane's.
    exporter->exposer_ = std::make_unique<prometheus::Exposer>(
        std::vector<std::string>{"listening_ports", *port, "num_threads", "2"});
  } catch (const std::exception& e) {
    // civetweb says little ("null context when constructing CivetServer..."):
    // the usual causes go with it.
    return absl::UnavailableError(absl::StrCat(
        "metrics address \"", address,
        "\": cannot listen (in use, not a local address, or no permission): ",
        e.what()));
  }
  exporter->exposer_->RegisterCollectable(exporter->registry_);
  const std::vector<int> ports = exporter->exposer_->GetListeningPorts();
  exporter->port_ = ports.empty() ? 0 : ports.front();
  return exporter;
}

void MetricsExporter::Update(const MetricsSnapshot& s) {
  Series& m = *series_;
  for (const PathCounters& path : s.paths) {
    const std::string address = path.address.ToString();
    const auto counter = [&](Family<Counter>& family, const char* direction,
                             const char* kind, uint64_t total) {
      m.Labelled(family, m.path_counters,
                 {{"path", address}, {"direction", direction}},
                 absl::StrCat(address, "/", direction, "/", kind))
          ->Set(total);
    };
    counter(m.path_packets, "sent", "packets", path.packets_sent);
    counter(m.path_packets, "received", "packets", path.packets_received);
    counter(m.path_bytes, "sent", "bytes", path.bytes_sent);
    counter(m.path_bytes, "received", "bytes", path.bytes_received);
  }

  m.segments_received.Set(s.stack.segments);
  m.dropped_bad_checksum.Set(s.stack.bad_checksum);
  m.dropped_malformed.Set(s.stack.malformed);
  m.dropped_no_connection.Set(s.stack.no_connection);
  m.refused.Set(s.stack.refused);
  m.refused_for_memory.Set(s.stack.refused_for_memory);
  m.joins_accepted.Set(s.stack.joins);
  m.joins_unknown_token.Set(s.stack.joins_unknown_token);
  // The stack's joins_refused are the connections' own refusals seen from
  // outside (also in MptcpStats::joins_refused): counting both would count
  // them twice, and only the connections also see bad HMACs.
  m.joins_refused.Set(s.totals.joins_refused);
  m.add_addr_rejected.Set(s.totals.add_addr_rejected);
  m.fallbacks.Set(s.totals.fallbacks);

  m.connecting.Set(static_cast<double>(s.connections_connecting));
  m.established.Set(static_cast<double>(s.connections_established));
  m.closing.Set(static_cast<double>(s.connections_closing));
  m.subflows.Set(static_cast<double>(s.subflows));

  m.bytes_retransmitted.Set(s.totals.bytes_retransmitted);
  m.segments_retransmitted.Set(s.totals.segments_retransmitted);
  m.bytes_reinjected.Set(s.totals.bytes_reinjected);
  for (const auto& [name, chunks] : s.totals.chunks_by_scheduler) {
    m.Labelled(m.scheduler_decisions, m.by_scheduler, {{"scheduler", name}},
               name)
        ->Set(chunks);
  }

  for (const SubflowSample& sample : s.subflow_samples) {
    const std::string path = sample.path.ToString();
    m.Child(m.rtt, m.rtt_by_path, {{"path", path}}, path, RttBuckets())
        .Observe(sample.rtt_seconds);
    m.Child(m.cwnd, m.cwnd_by_path_cc,
            {{"path", path}, {"congestion_control", sample.congestion_control}},
            absl::StrCat(path, "/", sample.congestion_control), CwndBuckets())
        .Observe(static_cast<double>(sample.cwnd_bytes));
  }

  for (const IoDrop& drop : s.io_drops) {
    m.Labelled(m.io_dropped, m.io_by_reason,
               {{"direction", drop.direction}, {"reason", drop.reason}},
               absl::StrCat(drop.direction, "/", drop.reason))
        ->Set(drop.count);
  }

  m.policy_generation.Set(static_cast<double>(s.policy_generation));
  m.policy_refusals.Set(s.policy_refusals);
  m.UpdateLag(s.event_loop_lag);
}

std::string MetricsExporter::Text() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace plait::metrics
