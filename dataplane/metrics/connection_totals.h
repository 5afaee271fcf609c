// Totals over connections that never go backwards. Connections disappear
// when released, and their counts with them: the daemon hands each one to
// AddClosed just before releasing it, and Collect adds the live ones, so
// that closed + live only grows (up to the caveats in ConnectionCounters:
// a subflow freed after a failed join takes its retransmissions along, and
// a scheduler switch moves chunks between names; the exporter never lets a
// counter decrease in those cases).
//
// Single-threaded: call from the event loop's thread, like the connections.
#ifndef PLAIT_DATAPLANE_METRICS_CONNECTION_TOTALS_H_
#define PLAIT_DATAPLANE_METRICS_CONNECTION_TOTALS_H_

#include "absl/types/span.h"
#include "dataplane/metrics/snapshot.h"
#include "dataplane/mptcp/mptcp_connection.h"

namespace plait::metrics {

// The counts of one connection (its subflows' included).
ConnectionCounters CountersOf(const mptcp::MptcpConnection& connection);

// Where a live connection stands, for plait_connections{state}.
enum class ConnectionState { kConnecting, kEstablished, kClosing };
// Connecting: not established yet. Established: some subflow is in
// ESTABLISHED. Closing: closed but not released (subflows finishing their
// handshakes), or no subflow in ESTABLISHED any more (FINs exchanged).
ConnectionState StateOf(const mptcp::MptcpConnection& connection);

class ConnectionTotals {
 public:
  // `connection` is about to be released: its counts stay in the totals.
  void AddClosed(const mptcp::MptcpConnection& connection);
  const ConnectionCounters& closed() const { return closed_; }
  uint64_t closed_connections() const { return closed_connections_; }

  // Closed totals plus the counts of `live` (every connection not handed to
  // AddClosed yet, each once).
  ConnectionCounters Total(
      absl::Span<const mptcp::MptcpConnection* const> live) const;

  // Fills the connection part of `snapshot` from `live`: the counts by
  // state, the open subflows, one RTT/cwnd sample per open subflow that has
  // an RTT estimate, and totals = Total(live).
  void Collect(absl::Span<const mptcp::MptcpConnection* const> live,
               MetricsSnapshot* snapshot) const;

 private:
  ConnectionCounters closed_;
  uint64_t closed_connections_ = 0;
};

}  // namespace plait::metrics

#endif  // PLAIT_DATAPLANE_METRICS_CONNECTION_TOTALS_H_
