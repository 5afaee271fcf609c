// What a scenario run measured, and its JSON form (the output of plait-sim).
#ifndef PLAIT_SIM_REPORT_H_
#define PLAIT_SIM_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "sim/link.h"

namespace plait::sim {

struct RttSummary {
  uint64_t samples = 0;
  double min_ms = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

// Summarizes samples (in any order).
RttSummary SummarizeRtt(std::vector<Duration> samples);

struct FlowReport {
  std::string name;
  double start_s = 0;
  uint64_t bytes_sent = 0;       // written by the sending application
  uint64_t bytes_delivered = 0;  // read by the receiving application
  // Every byte arrived exactly once and in order: equal counts and equal
  // SHA-256 digests of the two streams.
  bool intact = false;
  // What arrived equals the start of what was sent, byte for byte (true for
  // an intact flow, and what a reset flow can still promise).
  bool prefix_intact = false;
  // The receiver read the end of the stream.
  bool completed = false;
  double completion_time_s = 0;  // from start to the end of the stream
  double goodput_mbps = 0;       // bytes delivered over completion time
  // How each side ended: "closed", "time-wait", "reset", "timeout",
  // "aborted", "refused", "keepalive-timeout", or "open" if still running.
  std::string sender_end;
  std::string receiver_end;
  uint64_t segments_sent = 0;
  uint64_t segments_retransmitted = 0;
  uint64_t bytes_retransmitted = 0;
  uint64_t rto_count = 0;
  uint64_t fast_recoveries = 0;
  // The receiver's engine: segments it refused (out of window, PAWS, ...)
  // and challenge ACKs it sent (RFC 5961).
  uint64_t receiver_dropped_segments = 0;
  uint64_t receiver_challenge_acks = 0;
  RttSummary rtt;
  // MPTCP flows only (the JSON has an "mptcp" member only for them).
  bool mptcp = false;
  bool fallback = false;  // the connection fell back to plain TCP
  struct Subflow {
    std::string local;         // "address:port" on the client
    std::string remote;        // on the server
    uint64_t bytes_sent = 0;   // payload, retransmissions included
    uint64_t bytes_acked = 0;  // the subflow-level bytes the server acked
    uint64_t rto_count = 0;
    std::string state;  // the client subflow's TCP state at the end
    double rto_ms = 0;  // its RTO without backoff, at the end
    bool backup = false;
  };
  std::vector<Subflow> subflows;  // the client's, in opening order
  uint64_t bytes_reinjected = 0;
  // ADD_ADDRs the client accepted (HMAC valid), and the server's
  // announcements the client echoed.
  uint64_t add_addr_received = 0;
  uint64_t add_addr_echoed = 0;
  std::string scheduler;  // the client's, at the end
  uint64_t scheduler_switches = 0;
  std::string congestion_control;  // the client's, at the end
  uint64_t congestion_control_switches = 0;
  std::string path_manager;  // at the end of the run
  uint64_t path_manager_switches = 0;
  // The longest time the receiver got no new bytes, and when it ended
  // (seconds from the flow's start).
  double longest_stall_s = 0;
  double longest_stall_end_s = 0;
};

// What a host's TCP dropped before any connection saw it.
struct HostReport {
  std::string name;
  uint64_t segments = 0;
  uint64_t bad_checksum = 0;
  uint64_t malformed = 0;
  uint64_t no_connection = 0;  // answered with RST
};

struct LinkReport {
  std::string name;  // "link:a->b"
  // Fraction of time the serializer was busy from the warm-up to the end.
  double utilization = 0;
  LinkStats stats;  // whole run
};

struct ScenarioReport {
  std::string scenario;
  uint64_t seed = 0;
  double end_s = 0;
  std::vector<FlowReport> flows;
  std::vector<LinkReport> links;
  std::vector<HostReport> hosts;

  // Pretty-printed JSON (two-space indent, members in the order of the
  // structs above), ending in a newline. Deterministic: the same report gives
  // the same text, byte for byte; doubles are rounded to 6 decimals.
  std::string ToJson() const;
};

}  // namespace plait::sim

#endif  // PLAIT_SIM_REPORT_H_
