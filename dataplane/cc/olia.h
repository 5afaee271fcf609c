// OLIA, the Opportunistic Linked Increases Algorithm (Khalili, Gast,
// Popovic and Le Boudec, "MPTCP is not Pareto-optimal: performance issues
// and a possible solution", IEEE/ACM ToN 2013), as the out-of-tree kernel's
// net/mptcp/mptcp_olia.c computes it.
//
// In congestion avoidance an ACK on path r changes w_r, in segments per
// segment acked, by
//   (w_r / rtt_r^2) / (sum_p w_p / rtt_p)^2 + epsilon_r / w_r
// (computed as the reference does, w_r / (sum_p w_p rtt_r / rtt_p)^2 +
// epsilon_r / w_r). In bytes: bytes_acked * MSS times that expression with
// windows in bytes (OliaWindowIncrease). The change can be negative; it is
// carried in a signed accumulator (ca_accumulator()) and cwnd moves by one
// MSS whenever the accumulator reaches +MSS or -MSS (never below 2 MSS), the
// remainder kept (the reference resets its counter instead).
//
// epsilon_r (OliaEpsilonOf) moves window from the paths with the largest
// window to the best paths:
//   l_r = max(bytes acked between the last two losses, bytes acked since the
//         last loss) (CouplingGroup::Member::inter_loss_bytes);
//   B = paths maximising l_r / rtt_r^2 (the best: least lossy per RTT^2);
//   M = paths with the largest cwnd;
//   if B \ M is empty, epsilon_r = 0 for all r; otherwise
//   epsilon_r = +1 / (|P| |B \ M|) for r in B \ M, -1 / (|P| |M|) for r in
//   M, 0 for the others; |P| = the number of paths.
// The comparisons are exact (128-bit integers, RTTs in microseconds).
//
// Slow start, the loss response (halving), RTO, undo and the minimum windows
// are NewReno's (coupled_controller.h); every loss episode (and the first
// timeout of a series) shifts the path's loss points.
//
// The sums and sets run over the members with an RTT sample (P). A subflow
// with no RTT sample itself grows by bytes_acked * MSS / W, W the sum of all
// members' windows (no faster than the whole connection would as one NewReno
// flow); with one path, epsilon = 0 and the increase is NewReno's MSS / cwnd
// per MSS acked (up to floating-point rounding of the accumulator).
//
// Differences from the reference: floating point instead of its 2^10 fixed
// point; windows are bytes (paths are weighed by bytes, not segments).
#ifndef PLAIT_DATAPLANE_CC_OLIA_H_
#define PLAIT_DATAPLANE_CC_OLIA_H_

#include <cstdint>
#include <memory>

#include "dataplane/cc/congestion_control.h"
#include "dataplane/cc/coupled_controller.h"
#include "dataplane/cc/coupled_group.h"

namespace plait::cc {

// epsilon_r = numerator / denominator.
struct OliaEpsilon {
  int numerator = 0;  // -1, 0 or +1
  uint64_t denominator = 1;
  double value() const {
    return static_cast<double>(numerator) / static_cast<double>(denominator);
  }
  friend bool operator==(const OliaEpsilon&, const OliaEpsilon&) = default;
};

// epsilon for member `id` (see above); 0/1 when `id` has no RTT sample.
// `id` must be a member.
OliaEpsilon OliaEpsilonOf(const CouplingGroup& group,
                          CouplingGroup::MemberId id);

// The window change, in bytes (possibly negative), that an ACK of
// `bytes_acked` bytes on member `id`, whose MSS is `mss`, causes in
// congestion avoidance. `id` must be a member.
double OliaWindowIncrease(const CouplingGroup& group,
                          CouplingGroup::MemberId id, uint64_t bytes_acked,
                          uint64_t mss);

class Olia : public CoupledCongestionControl {
 public:
  // Joins `group` (one per MPTCP connection; a null group makes a private
  // one). `mss` > 0, `initial_window_segments` >= 1.
  Olia(std::shared_ptr<CouplingGroup> group, uint64_t mss,
       uint64_t initial_window_segments = kInitialWindowSegments);

  const char* name() const override { return "olia"; }

 private:
  void CongestionAvoidance(uint64_t bytes_acked) override;
};

}  // namespace plait::cc

#endif  // PLAIT_DATAPLANE_CC_OLIA_H_
