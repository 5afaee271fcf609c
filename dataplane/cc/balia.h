// BALIA, the Balanced Linked Adaptation algorithm (Peng, Walid, Hwang and
// Low, "Multipath TCP: Analysis, Design and Implementation", IEEE/ACM ToN
// 2016), as the out-of-tree kernel's net/mptcp/mptcp_balia.c computes it.
//
// With x_k = cwnd_k / rtt_k the rate of subflow k and x_max the largest,
// alpha_r = x_max / x_r (>= 1):
//   - congestion avoidance, per ACK on subflow r, in segments:
//       (x_r + x_max)(4 x_r + x_max) / (10 w_r (sum_k x_k)^2) per segment
//     acked, i.e. (x_r / (rtt_r (sum x_k)^2)) ((1 + alpha_r) / 2)
//     ((4 + alpha_r) / 5). In bytes cwnd_r grows by one MSS per
//       BaliaBytesPerMss() = 10 cwnd_r (sum x_k)^2 / ((x_r + x_max)(4 x_r +
//       x_max))
//     bytes acked (never fewer than cwnd_r, NewReno's count, which is the
//     value with one subflow), the remainder carried (ca_accumulator()).
//   - loss (a congestion event or the first timeout of a series):
//       ssthresh = max(W - (W / 2) min(alpha_r, 1.5), 2 MSS)
//     with W = bytes_in_flight as NewReno uses (the reference uses its cwnd,
//     which equals the flight when window-limited); with alpha_r = 1 (one
//     subflow, or the fastest one) this is exactly NewReno's W / 2.
// Slow start, RTO, undo and the minimum windows are NewReno's
// (coupled_controller.h).
//
// The sums run over the members with an RTT sample. A subflow with no RTT
// sample itself has alpha_r = 1 and grows by one MSS per W bytes acked, W
// the sum of all members' windows (no faster than the whole connection would
// as one NewReno flow).
//
// Differences from the reference, on purpose: alpha_r is the real ratio (the
// reference's integer division max_rate / rate makes it 1 until the ratio
// reaches 2, then the cap 1.5); ai and md are computed from the current
// windows at each ACK and loss rather than cached at the last recalculation;
// windows are bytes, rates bytes per second (no rate_scale_limit scaling is
// needed in floating point).
#ifndef PLAIT_DATAPLANE_CC_BALIA_H_
#define PLAIT_DATAPLANE_CC_BALIA_H_

#include <cstdint>
#include <memory>

#include "dataplane/cc/congestion_control.h"
#include "dataplane/cc/coupled_controller.h"
#include "dataplane/cc/coupled_group.h"

namespace plait::cc {

// alpha_r = x_max / x_r over the members with an RTT sample; 1 when `id` has
// no RTT sample or is the only member with one. `id` must be a member.
double BaliaAlpha(const CouplingGroup& group, CouplingGroup::MemberId id);

// Bytes member `id` must have acked in congestion avoidance to grow by one
// MSS (see above); cwnd_r when it is alone with an RTT sample, the sum of
// all windows when it has none. `id` must be a member.
double BaliaBytesPerMss(const CouplingGroup& group, CouplingGroup::MemberId id);

// W - (W / 2) min(alpha, 1.5), rounded down: W / 2 (integer division) when
// alpha <= 1, W / 4 from alpha = 1.5 on.
uint64_t BaliaReducedWindow(uint64_t window, double alpha);

class Balia : public CoupledCongestionControl {
 public:
  // Joins `group` (one per MPTCP connection; a null group makes a private
  // one, i.e. NewReno). `mss` > 0, `initial_window_segments` >= 1.
  Balia(std::shared_ptr<CouplingGroup> group, uint64_t mss,
        uint64_t initial_window_segments = kInitialWindowSegments);

  const char* name() const override { return "balia"; }

 private:
  void CongestionAvoidance(uint64_t bytes_acked) override;
  uint64_t ReducedWindow(uint64_t bytes_in_flight) const override;
};

}  // namespace plait::cc

#endif  // PLAIT_DATAPLANE_CC_BALIA_H_
