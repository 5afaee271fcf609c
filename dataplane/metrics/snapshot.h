// What plaitd exports as Prometheus metrics, read on the event loop's thread
// (where the stack, the connections and the node live) and handed to
// MetricsExporter::Update, which may then run anywhere. A plain struct, so
// that the daemon fills it from whatever it holds and tests build it by
// hand.
//
// Every count is a monotonic total since the daemon started: the exporter
// turns totals into counter increments. Totals over connections must
// include the closed ones (ConnectionTotals), or a counter would go back
// when a connection is released.
#ifndef PLAIT_DATAPLANE_METRICS_SNAPSHOT_H_
#define PLAIT_DATAPLANE_METRICS_SNAPSHOT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dataplane/metrics/path_counters.h"
#include "dataplane/runtime/lag_histogram.h"
#include "dataplane/stack/stack.h"
#include "dataplane/wire/ip_address.h"

namespace plait::metrics {

// Counts summed over connections (MptcpStats and the subflows' TcpStats).
struct ConnectionCounters {
  uint64_t bytes_retransmitted = 0;     // subflow payload sent again
  uint64_t segments_retransmitted = 0;  // subflow segments sent again
  uint64_t bytes_reinjected = 0;        // data-level bytes moved to others
  uint64_t fallbacks = 0;               // connections that fell back to TCP
  uint64_t joins_refused = 0;           // MP_JOINs a connection refused
  uint64_t add_addr_rejected = 0;       // ADD_ADDRs with a bad HMAC etc.
  // Chunks handed to subflows ("scheduler decisions"), by the scheduler
  // that chose them (MptcpConnection::ChunksByScheduler: a connection that
  // switched counts each chunk under the scheduler of its time).
  std::map<std::string, uint64_t> chunks_by_scheduler;

  void Add(const ConnectionCounters& other);
};

// One live subflow's state when the snapshot was taken: one sample per
// subflow per snapshot feeds the RTT and cwnd histograms.
struct SubflowSample {
  wire::IpAddress path;  // the subflow's local address
  double rtt_seconds = 0;
  uint64_t cwnd_bytes = 0;
  std::string congestion_control;  // the algorithm's name ("cubic", "lia")
};

// A drop reason of the packet I/O and its total.
struct IoDrop {
  std::string direction;  // "sent" or "received"
  std::string reason;     // e.g. "bad_magic", "queue_full"
  uint64_t count = 0;
};

struct MetricsSnapshot {
  // Per-path traffic (Node::path_counters()).
  std::vector<PathCounters> paths;
  // The stack's totals (segments, drops, refusals, joins).
  stack::Stack::Stats stack;

  // Connections alive now, by state (see ConnectionTotals::Collect).
  uint64_t connections_connecting = 0;
  uint64_t connections_established = 0;
  uint64_t connections_closing = 0;
  uint64_t subflows = 0;  // open subflows of those connections
  std::vector<SubflowSample> subflow_samples;
  // Closed + live connections.
  ConnectionCounters totals;

  // Packet I/O drops by direction and reason (UdpIoDrops, TunIoDrops).
  std::vector<IoDrop> io_drops;

  // The policy in force (0 before any) and the policies refused so far.
  uint64_t policy_generation = 0;
  uint64_t policy_refusals = 0;

  runtime::LagHistogram::Snapshot event_loop_lag;
};

}  // namespace plait::metrics

#endif  // PLAIT_DATAPLANE_METRICS_SNAPSHOT_H_
