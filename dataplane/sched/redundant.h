// "redundant": sends every chunk on all candidate subflows, trading capacity
// for latency and jitter (the out-of-tree multipath-tcp.org kernel's
// mptcp_redundant.c, version 0.90).
#ifndef PLAIT_DATAPLANE_SCHED_REDUNDANT_H_
#define PLAIT_DATAPLANE_SCHED_REDUNDANT_H_

#include "absl/types/span.h"
#include "dataplane/sched/scheduler.h"

namespace plait::sched {

// Stateless. Targets every candidate (backup rule: backups only when no
// regular subflow is usable) that has cwnd room, each with min(chunk, its
// room), in the order given. A candidate that is full now is not waited
// for: Redundant() tells the connection to keep each subflow's position in
// the send queue so that it catches up later, as the reference does.
// kNoRoom when every candidate is full.
class RedundantScheduler : public Scheduler {
 public:
  const char* name() const override { return "redundant"; }
  Decision Schedule(const ConnectionView& connection,
                    absl::Span<const SubflowView> subflows) override;
  bool Redundant() const override { return true; }
};

}  // namespace plait::sched

#endif  // PLAIT_DATAPLANE_SCHED_REDUNDANT_H_
