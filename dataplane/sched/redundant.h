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
// room), in the order given. A candidate that is full now skips this chunk;
// it is not held back for it (the reference instead keeps a per-subflow
// position in the send queue so a full subflow catches up later; here that
// would be the connection's job, as the same bytes are still delivered by
// the others). kNoRoom when every candidate is full.
class RedundantScheduler : public Scheduler {
 public:
  const char* name() const override { return "redundant"; }
  Decision Schedule(const ConnectionView& connection,
                    absl::Span<const SubflowView> subflows) override;
};

}  // namespace plait::sched

#endif  // PLAIT_DATAPLANE_SCHED_REDUNDANT_H_
