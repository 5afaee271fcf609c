#include "sim/report.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "nlohmann/json.hpp"

namespace plait::sim {
namespace {

double Ms(Duration d) { return ToSeconds(d) * 1000; }

// Rounded to 6 decimals (microseconds, or millionths of a rate), so that the
// report stays short and readable; the shortest form of the result is printed.
double Num(double v) { return std::round(v * 1e6) / 1e6; }

}  // namespace

RttSummary SummarizeRtt(std::vector<Duration> samples) {
  RttSummary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.samples = samples.size();
  s.min_ms = Ms(samples.front());
  s.max_ms = Ms(samples.back());
  double total = 0;
  for (Duration d : samples) total += Ms(d);
  s.mean_ms = total / samples.size();
  auto percentile = [&](double p) {
    const size_t index =
        std::min(samples.size() - 1,
                 static_cast<size_t>(p * (samples.size() - 1) + 0.5));
    return Ms(samples[index]);
  };
  s.p50_ms = percentile(0.50);
  s.p99_ms = percentile(0.99);
  return s;
}

std::string ScenarioReport::ToJson() const {
  using ::nlohmann::ordered_json;
  ordered_json flow_list = ordered_json::array();
  for (const FlowReport& f : flows) {
    ordered_json flow = ordered_json::object();
    flow["name"] = f.name;
    flow["start_s"] = Num(f.start_s);
    flow["bytes_sent"] = f.bytes_sent;
    flow["bytes_delivered"] = f.bytes_delivered;
    flow["intact"] = f.intact;
    flow["prefix_intact"] = f.prefix_intact;
    flow["completed"] = f.completed;
    flow["completion_time_s"] = Num(f.completion_time_s);
    flow["goodput_mbps"] = Num(f.goodput_mbps);
    flow["sender_end"] = f.sender_end;
    flow["receiver_end"] = f.receiver_end;
    flow["segments_sent"] = f.segments_sent;
    flow["segments_retransmitted"] = f.segments_retransmitted;
    flow["bytes_retransmitted"] = f.bytes_retransmitted;
    flow["rto_count"] = f.rto_count;
    flow["fast_recoveries"] = f.fast_recoveries;
    flow["receiver_dropped_segments"] = f.receiver_dropped_segments;
    flow["receiver_challenge_acks"] = f.receiver_challenge_acks;
    flow["rtt_ms"] = {{"samples", f.rtt.samples},   {"min", Num(f.rtt.min_ms)},
                      {"mean", Num(f.rtt.mean_ms)}, {"p50", Num(f.rtt.p50_ms)},
                      {"p99", Num(f.rtt.p99_ms)},   {"max", Num(f.rtt.max_ms)}};
    if (f.mptcp) {
      ordered_json subflows = ordered_json::array();
      for (const FlowReport::Subflow& s : f.subflows) {
        ordered_json sf = ordered_json::object();
        sf["local"] = s.local;
        sf["remote"] = s.remote;
        sf["bytes_sent"] = s.bytes_sent;
        sf["bytes_acked"] = s.bytes_acked;
        sf["rto_count"] = s.rto_count;
        sf["state"] = s.state;
        sf["rto_ms"] = Num(s.rto_ms);
        sf["backup"] = s.backup;
        subflows.push_back(std::move(sf));
      }
      ordered_json m = ordered_json::object();
      m["fallback"] = f.fallback;
      m["bytes_reinjected"] = f.bytes_reinjected;
      m["add_addr_received"] = f.add_addr_received;
      m["add_addr_echoed"] = f.add_addr_echoed;
      m["scheduler"] = f.scheduler;
      m["scheduler_switches"] = f.scheduler_switches;
      m["congestion_control"] = f.congestion_control;
      m["congestion_control_switches"] = f.congestion_control_switches;
      m["path_manager"] = f.path_manager;
      m["path_manager_switches"] = f.path_manager_switches;
      m["longest_stall_s"] = Num(f.longest_stall_s);
      m["longest_stall_end_s"] = Num(f.longest_stall_end_s);
      m["subflows"] = std::move(subflows);
      flow["mptcp"] = std::move(m);
    }
    flow_list.push_back(std::move(flow));
  }
  ordered_json link_list = ordered_json::array();
  for (const LinkReport& l : links) {
    ordered_json link = ordered_json::object();
    link["name"] = l.name;
    link["utilization"] = Num(l.utilization);
    link["offered_packets"] = l.stats.offered_packets;
    link["delivered_packets"] = l.stats.delivered_packets;
    link["delivered_bytes"] = l.stats.delivered_bytes;
    link["max_queue_bytes"] = l.stats.max_queue_bytes;
    ordered_json dropped = ordered_json::object();
    for (size_t c = 0; c < kNumDropCauses; ++c) {
      dropped[std::string(DropCauseName(static_cast<DropCause>(c)))] =
          l.stats.dropped_packets[c];
    }
    link["dropped"] = std::move(dropped);
    link_list.push_back(std::move(link));
  }
  ordered_json host_list = ordered_json::array();
  for (const HostReport& h : hosts) {
    host_list.push_back({{"name", h.name},
                         {"segments", h.segments},
                         {"bad_checksum", h.bad_checksum},
                         {"malformed", h.malformed},
                         {"no_connection", h.no_connection}});
  }
  ordered_json report = ordered_json::object();
  report["scenario"] = scenario;
  report["seed"] = seed;
  report["end_s"] = Num(end_s);
  report["flows"] = std::move(flow_list);
  report["links"] = std::move(link_list);
  report["hosts"] = std::move(host_list);
  // Names come from scenario files: bytes that are not UTF-8 are replaced
  // rather than making the dump throw.
  return report.dump(2, ' ', false, ordered_json::error_handler_t::replace) +
         "\n";
}

}  // namespace plait::sim
