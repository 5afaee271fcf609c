#include "sim/report.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace plait::sim {
namespace {

double Ms(Duration d) { return ToSeconds(d) * 1000; }

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string Num(double v) { return absl::StrFormat("%.6f", v); }

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
    const size_t index = std::min(
        samples.size() - 1, static_cast<size_t>(p * (samples.size() - 1) + 0.5));
    return Ms(samples[index]);
  };
  s.p50_ms = percentile(0.50);
  s.p99_ms = percentile(0.99);
  return s;
}

std::string ScenarioReport::ToJson() const {
  std::vector<std::string> flow_texts;
  for (const FlowReport& f : flows) {
    flow_texts.push_back(absl::StrCat(
        "    {\"name\": ", Quote(f.name), ", \"start_s\": ", Num(f.start_s),
        ", \"bytes_sent\": ", f.bytes_sent,
        ", \"bytes_delivered\": ", f.bytes_delivered,
        ", \"intact\": ", f.intact ? "true" : "false",
        ", \"prefix_intact\": ", f.prefix_intact ? "true" : "false",
        ", \"completed\": ", f.completed ? "true" : "false",
        ", \"completion_time_s\": ", Num(f.completion_time_s),
        ", \"goodput_mbps\": ", Num(f.goodput_mbps),
        ", \"sender_end\": ", Quote(f.sender_end),
        ", \"receiver_end\": ", Quote(f.receiver_end),
        ", \"segments_sent\": ", f.segments_sent,
        ", \"segments_retransmitted\": ", f.segments_retransmitted,
        ", \"bytes_retransmitted\": ", f.bytes_retransmitted,
        ", \"rto_count\": ", f.rto_count,
        ", \"fast_recoveries\": ", f.fast_recoveries,
        ", \"receiver_dropped_segments\": ", f.receiver_dropped_segments,
        ", \"receiver_challenge_acks\": ", f.receiver_challenge_acks,
        ", \"rtt_ms\": {\"samples\": ", f.rtt.samples,
        ", \"min\": ", Num(f.rtt.min_ms), ", \"mean\": ", Num(f.rtt.mean_ms),
        ", \"p50\": ", Num(f.rtt.p50_ms), ", \"p99\": ", Num(f.rtt.p99_ms),
        ", \"max\": ", Num(f.rtt.max_ms), "}}"));
  }
  std::vector<std::string> link_texts;
  for (const LinkReport& l : links) {
    std::vector<std::string> drops;
    for (size_t c = 0; c < kNumDropCauses; ++c) {
      drops.push_back(absl::StrCat(
          Quote(DropCauseName(static_cast<DropCause>(c))), ": ",
          l.stats.dropped_packets[c]));
    }
    link_texts.push_back(absl::StrCat(
        "    {\"name\": ", Quote(l.name),
        ", \"utilization\": ", Num(l.utilization),
        ", \"offered_packets\": ", l.stats.offered_packets,
        ", \"delivered_packets\": ", l.stats.delivered_packets,
        ", \"delivered_bytes\": ", l.stats.delivered_bytes,
        ", \"max_queue_bytes\": ", l.stats.max_queue_bytes,
        ", \"dropped\": {", absl::StrJoin(drops, ", "), "}}"));
  }
  std::vector<std::string> host_texts;
  for (const HostReport& h : hosts) {
    host_texts.push_back(absl::StrCat(
        "    {\"name\": ", Quote(h.name), ", \"segments\": ", h.segments,
        ", \"bad_checksum\": ", h.bad_checksum,
        ", \"malformed\": ", h.malformed,
        ", \"no_connection\": ", h.no_connection, "}"));
  }
  return absl::StrCat("{\n  \"scenario\": ", Quote(scenario),
                      ",\n  \"seed\": ", seed, ",\n  \"end_s\": ", Num(end_s),
                      ",\n  \"flows\": [\n", absl::StrJoin(flow_texts, ",\n"),
                      "\n  ],\n  \"links\": [\n",
                      absl::StrJoin(link_texts, ",\n"), "\n  ],\n  \"hosts\": [\n",
                      absl::StrJoin(host_texts, ",\n"), "\n  ]\n}\n");
}

}  // namespace plait::sim
