// "roundrobin": the out-of-tree multipath-tcp.org kernel's mptcp_rr.c with
// its defaults (num_segments = 1, cwnd_limited = 1): each candidate with cwnd
// room takes one chunk in turn.
#ifndef PLAIT_DATAPLANE_SCHED_ROUND_ROBIN_H_
#define PLAIT_DATAPLANE_SCHED_ROUND_ROBIN_H_

#include <cstdint>
#include <optional>

#include "absl/types/span.h"
#include "dataplane/sched/scheduler.h"

namespace plait::sched {

// Rotates by ascending subflow id: the next chunk goes to the candidate with
// room whose id is the smallest above the last one served, wrapping around
// to the smallest id. Full subflows are skipped (they lose their turn, as in
// the reference). Unlike the reference, it obeys the backup rule.
//
// Per-connection state: the id last served. Fresh (and after a switch) it
// starts at the lowest id; if that subflow has gone, the rotation continues
// with the next id above it.
class RoundRobinScheduler : public Scheduler {
 public:
  const char* name() const override { return "roundrobin"; }
  Decision Schedule(const ConnectionView& connection,
                    absl::Span<const SubflowView> subflows) override;

  std::optional<uint32_t> last_served() const { return last_served_; }

 private:
  std::optional<uint32_t> last_served_;
};

}  // namespace plait::sched

#endif  // PLAIT_DATAPLANE_SCHED_ROUND_ROBIN_H_
