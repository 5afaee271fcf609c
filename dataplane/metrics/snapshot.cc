#include "dataplane/metrics/snapshot.h"

namespace plait::metrics {

void ConnectionCounters::Add(const ConnectionCounters& other) {
  bytes_retransmitted += other.bytes_retransmitted;
  segments_retransmitted += other.segments_retransmitted;
  bytes_reinjected += other.bytes_reinjected;
  fallbacks += other.fallbacks;
  joins_refused += other.joins_refused;
  add_addr_rejected += other.add_addr_rejected;
  for (const auto& [name, chunks] : other.chunks_by_scheduler) {
    chunks_by_scheduler[name] += chunks;
  }
}

}  // namespace plait::metrics
