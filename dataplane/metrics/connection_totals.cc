#include "dataplane/metrics/connection_totals.h"

#include "dataplane/base/time.h"
#include "dataplane/tcp/tcp_connection.h"
#include "dataplane/tcp/tcp_state.h"

namespace plait::metrics {
namespace {

// A subflow that can carry or receive data: the ones worth a sample.
bool Open(const tcp::TcpConnection& subflow) {
  return subflow.state() == tcp::TcpState::kEstablished ||
         subflow.state() == tcp::TcpState::kCloseWait;
}

}  // namespace

ConnectionCounters CountersOf(const mptcp::MptcpConnection& connection) {
  ConnectionCounters c;
  const mptcp::MptcpStats& s = connection.stats();
  for (size_t i = 0; i < connection.subflow_count(); ++i) {
    const tcp::TcpStats& t = connection.subflow(i).stats();
    c.bytes_retransmitted += t.bytes_retransmitted;
    c.segments_retransmitted += t.segments_retransmitted;
  }
  c.bytes_reinjected = s.bytes_reinjected;
  c.fallbacks = connection.fallback() ? 1 : 0;
  c.joins_refused = s.joins_refused;
  c.add_addr_rejected = s.add_addr_rejected;
  for (const auto& [name, chunks] : connection.ChunksByScheduler()) {
    if (chunks > 0) c.chunks_by_scheduler[name] += chunks;
  }
  return c;
}

ConnectionState StateOf(const mptcp::MptcpConnection& connection) {
  if (connection.closed()) return ConnectionState::kClosing;
  if (!connection.established()) return ConnectionState::kConnecting;
  for (size_t i = 0; i < connection.subflow_count(); ++i) {
    if (connection.subflow(i).state() == tcp::TcpState::kEstablished) {
      return ConnectionState::kEstablished;
    }
  }
  return ConnectionState::kClosing;
}

void ConnectionTotals::AddClosed(const mptcp::MptcpConnection& connection) {
  closed_.Add(CountersOf(connection));
  ++closed_connections_;
}

ConnectionCounters ConnectionTotals::Total(
    absl::Span<const mptcp::MptcpConnection* const> live) const {
  ConnectionCounters total = closed_;
  for (const mptcp::MptcpConnection* connection : live) {
    total.Add(CountersOf(*connection));
  }
  return total;
}

void ConnectionTotals::Collect(
    absl::Span<const mptcp::MptcpConnection* const> live,
    MetricsSnapshot* snapshot) const {
  snapshot->connections_connecting = 0;
  snapshot->connections_established = 0;
  snapshot->connections_closing = 0;
  snapshot->subflows = 0;
  snapshot->subflow_samples.clear();
  for (const mptcp::MptcpConnection* connection : live) {
    switch (StateOf(*connection)) {
      case ConnectionState::kConnecting:
        ++snapshot->connections_connecting;
        break;
      case ConnectionState::kEstablished:
        ++snapshot->connections_established;
        break;
      case ConnectionState::kClosing:
        ++snapshot->connections_closing;
        break;
    }
    for (size_t i = 0; i < connection->subflow_count(); ++i) {
      const tcp::TcpConnection& subflow = connection->subflow(i);
      if (subflow.state() == tcp::TcpState::kClosed) continue;
      ++snapshot->subflows;
      // No sample before the first RTT measurement: a 0 s RTT would skew
      // the lowest bucket.
      if (!Open(subflow) || !subflow.rtt().has_sample()) continue;
      snapshot->subflow_samples.push_back(
          {subflow.endpoints().local, ToSeconds(subflow.rtt().srtt()),
           subflow.congestion_control().congestion_window(),
           subflow.congestion_control().name()});
    }
  }
  snapshot->totals = Total(live);
}

}  // namespace plait::metrics
