// "minrtt": the out-of-tree multipath-tcp.org kernel's default scheduler
// (mptcp_sched.c get_available_subflow; Kconfig "lowest RTT first"). Upstream
// Linux's "default" scheduler also prefers the lowest-latency subflow with
// room.
#ifndef PLAIT_DATAPLANE_SCHED_MINRTT_H_
#define PLAIT_DATAPLANE_SCHED_MINRTT_H_

#include "absl/types/span.h"
#include "dataplane/sched/scheduler.h"

namespace plait::sched {

// Stateless. Among the candidates (backup rule, scheduler.h) that have cwnd
// room, picks the one with the lowest srtt (ties: lowest id) and gives it
// min(chunk, its room). kNoRoom when candidates exist but all are full.
class MinRttScheduler : public Scheduler {
 public:
  const char* name() const override { return "minrtt"; }
  Decision Schedule(const ConnectionView& connection,
                    absl::Span<const SubflowView> subflows) override;
};

}  // namespace plait::sched

#endif  // PLAIT_DATAPLANE_SCHED_MINRTT_H_
