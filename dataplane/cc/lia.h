// LIA, the Linked Increases Algorithm of RFC 6356: MPTCP's coupled
// congestion control, the reference "coupled" module of the out-of-tree
// kernel (net/mptcp/mptcp_coupled.c).
//
// Each subflow i runs NewReno (slow start, halving on loss, RTO, undo: see
// coupled_controller.h) except in congestion avoidance, where an ACK of
// bytes_acked bytes grows cwnd_i by (RFC 6356 section 3, in bytes)
//   min(alpha * bytes_acked * MSS_i / cwnd_total, bytes_acked * MSS_i / cwnd_i)
//   alpha = cwnd_total * max_i(cwnd_i / rtt_i^2) / (sum_i cwnd_i / rtt_i)^2
// Equivalently cwnd_i grows by one MSS per LiaBytesPerMss() bytes acked,
// max(cwnd_i, cwnd_total / alpha), which is how it is computed: the
// remainder is carried (ca_accumulator()) so no growth is lost, and with one
// subflow (alpha = 1) it is NewReno's exact integer count.
//
// The sums run over the group's members that have an RTT sample, and
// cwnd_total is their total (the reference's cnt_established /
// mptcp_ccc_sk_can_send). A subflow that has no RTT sample itself (it cannot
// be weighed against the others) grows by bytes_acked * MSS / W where W is
// the sum of all members' windows: no faster than the whole connection would
// as one NewReno flow.
//
// Differences from the reference, on purpose: alpha is computed in floating
// point at every congestion-avoidance ACK from the current windows and RTTs
// (the reference caches a fixed-point alpha, alpha_scale 12, refreshed on
// loss, in slow start and after each increment); windows are in bytes, so
// subflows with different MSSs are weighed by bytes, not segments.
#ifndef PLAIT_DATAPLANE_CC_LIA_H_
#define PLAIT_DATAPLANE_CC_LIA_H_

#include <cstdint>
#include <memory>

#include "dataplane/cc/congestion_control.h"
#include "dataplane/cc/coupled_controller.h"
#include "dataplane/cc/coupled_group.h"

namespace plait::cc {

// RFC 6356's alpha over the members with an RTT sample; 1 when fewer than
// two have one (one subflow is NewReno).
double LiaAlpha(const CouplingGroup& group);

// Bytes member `id` must have acked in congestion avoidance to grow by one
// MSS: max(cwnd_i, cwnd_total / alpha), i.e.
// max(cwnd_i, (sum_k cwnd_k / rtt_k)^2 / max_k(cwnd_k / rtt_k^2)); cwnd_i
// when it is the only member with an RTT sample; the sum of all windows when
// `id` has no RTT sample. `id` must be a member.
double LiaBytesPerMss(const CouplingGroup& group, CouplingGroup::MemberId id);

class Lia : public CoupledCongestionControl {
 public:
  // Joins `group` (one per MPTCP connection; a null group makes a private
  // one, i.e. NewReno). `mss` > 0, `initial_window_segments` >= 1.
  Lia(std::shared_ptr<CouplingGroup> group, uint64_t mss,
      uint64_t initial_window_segments = kInitialWindowSegments);

  const char* name() const override { return "lia"; }

 private:
  void CongestionAvoidance(uint64_t bytes_acked) override;
};

}  // namespace plait::cc

#endif  // PLAIT_DATAPLANE_CC_LIA_H_
