// "ecf": Earliest Completion First (Lim, Towsley, Nahum, Gibbens, SIGMETRICS
// 2017), as the multipath-tcp.org kernel's mptcp_ecf.c computes it. It starts
// from the minRTT choice; when that is not the fastest candidate, it compares
// the expected completion time of the queued data with and without the slow
// subflow, and waits for the fast one when that finishes sooner.
#ifndef PLAIT_DATAPLANE_SCHED_ECF_H_
#define PLAIT_DATAPLANE_SCHED_ECF_H_

#include <cstdint>

#include "absl/types/span.h"
#include "dataplane/sched/scheduler.h"

namespace plait::sched {

// Let s be the minRTT choice (candidate with room, lowest srtt) and f the
// fastest candidate (lowest srtt, room or not). If srtt_f < srtt_s, with
// k = bytes_to_schedule, cwnd in bytes (the reference's cwnd * mss),
// delta = max(rttvar_f, rttvar_s), beta = 1 / kRBeta = 0.25 and the
// hysteresis state waiting in {0, 1}:
//   Rule 1: x_f = max(k, cwnd_f). If
//       srtt_f * (x_f + cwnd_f) < (1 + waiting * beta) * cwnd_f *
//       (srtt_s + delta)
//     (computed exactly as r_beta * lhs < r_beta * rhs + waiting * rhs),
//     waiting for f is expected to finish sooner. Then with
//     x_s = max(k, cwnd_s): if srtt_s * x_s >= cwnd_s * (2 * srtt_f + delta),
//     set waiting = 1 and return kWaitForFaster(f); otherwise send on s,
//     waiting unchanged.
//   Rule 2: otherwise send on s and set waiting = 0.
// When srtt_f >= srtt_s (s is the fastest) it sends on s, waiting unchanged.
//
// RTTVAR is RFC 6298's, and delta = max(rttvar_f, rttvar_s) as the paper
// defines it (the larger RTT deviation). The reference reads Linux's
// rttvar_us >> 1; Linux keeps rttvar_us at four times its per-RTT maximum
// mean deviation, floored at TCP_RTO_MIN, so the kernel's delta is about
// twice that deviation and at least 100 ms. The connection may pass a larger
// rttvar if it wants the kernel's numbers.
// As in BLEST, f is chosen among the candidates (backup rule, no
// potentially failed subflows), so waiting never targets a subflow that would
// not be used.
//
// Per-connection state: waiting. Fresh value 0 (not waiting), as the
// reference's init.
class EcfScheduler : public Scheduler {
 public:
  static constexpr uint64_t kRBeta = 4;  // beta = 1/4

  const char* name() const override { return "ecf"; }
  Decision Schedule(const ConnectionView& connection,
                    absl::Span<const SubflowView> subflows) override;

  bool waiting() const { return waiting_ != 0; }

 private:
  uint64_t waiting_ = 0;
};

}  // namespace plait::sched

#endif  // PLAIT_DATAPLANE_SCHED_ECF_H_
