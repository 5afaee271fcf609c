// What LIA, OLIA and BALIA share: one subflow's window as NewReno (reno.h)
// keeps it, except for the congestion-avoidance increase (and, for BALIA,
// the decrease), which each algorithm computes from the whole connection's
// windows and RTTs through a CouplingGroup (coupled_group.h).
#ifndef PLAIT_DATAPLANE_CC_COUPLED_CONTROLLER_H_
#define PLAIT_DATAPLANE_CC_COUPLED_CONTROLLER_H_

#include <cstdint>
#include <memory>
#include <optional>

#include "dataplane/base/time.h"
#include "dataplane/cc/congestion_control.h"
#include "dataplane/cc/coupled_group.h"

namespace plait::cc {

class CoupledCongestionControl : public CongestionControl {
 public:
  // Bytes; see GrowByThreshold.
  static constexpr double kAccumulatorTolerance = 1e-6;

  // Leaves the group.
  ~CoupledCongestionControl() override;
  CoupledCongestionControl(const CoupledCongestionControl&) = delete;
  CoupledCongestionControl& operator=(const CoupledCongestionControl&) = delete;

  // Every ACK first records its RTT in the group (the smoothed RTT, else
  // min_rtt, else the sample: the first non-zero) and its bytes (OLIA's
  // loss3), whether or not the window may grow. Then, as NewReno: no growth
  // when `in_recovery`, `app_limited` or nothing was acked; slow start
  // (cwnd < ssthresh) grows by min(bytes_acked, 2 MSS), capped at ssthresh;
  // congestion avoidance is the algorithm's (CongestionAvoidance below).
  void OnAck(const AckEvent& ack) final;

  // The loss episode starts a new inter-loss interval in the group
  // (RecordLoss); ssthresh = max(ReducedWindow(bytes_in_flight), 2 MSS) and
  // cwnd = ssthresh. ReducedWindow is NewReno's bytes_in_flight / 2 except
  // for BALIA.
  void OnCongestionEvent(Time now, uint64_t bytes_in_flight) final;
  void OnRecoveryEnd(Time now) final;

  // As NewReno (cwnd = 1 MSS; a repeated timeout keeps ssthresh; the window
  // from before the first timeout of a series is kept for undo), with
  // ssthresh = max(ReducedWindow(bytes_in_flight), 2 MSS). Only the first
  // timeout of a series records a loss in the group (Linux's
  // icsk_retransmits == 0 test in mptcp_olia_set_state).
  void OnRetransmissionTimeout(Time now, uint64_t bytes_in_flight) final;

  // As NewReno: cwnd = max(cwnd, before), ssthresh = max(ssthresh, before),
  // and the congestion-avoidance accumulator from before when the window is
  // restored. The group's loss points are not rewound (nor are they in the
  // reference).
  void OnSpuriousTimeout(Time now) final;

  // The group sees the inherited window at once; the accumulator starts
  // from zero, and the member has no RTT in the group until its first ACK.
  // OLIA's loss points are the group member's and are not inherited.
  void InheritWindow(uint64_t cwnd, uint64_t ssthresh) final;

  uint64_t congestion_window() const final { return cwnd_; }
  uint64_t slow_start_threshold() const final { return ssthresh_; }

  uint64_t mss() const { return mss_; }
  const CouplingGroup& group() const { return *group_; }
  CouplingGroup::MemberId member_id() const { return id_; }
  // The congestion-avoidance remainder carried between ACKs; what it counts
  // is the algorithm's (bytes acked towards the next MSS of growth for LIA
  // and BALIA, signed bytes of window growth for OLIA).
  double ca_accumulator() const { return accumulator_; }

 protected:
  // Joins `group`; a null `group` gets a private one (the subflow is then
  // alone and each algorithm behaves as NewReno). `mss` > 0,
  // `initial_window_segments` >= 1.
  CoupledCongestionControl(std::shared_ptr<CouplingGroup> group, uint64_t mss,
                           uint64_t initial_window_segments);

  // One congestion-avoidance ACK of `bytes_acked` (> 0) bytes, with cwnd >=
  // ssthresh, not in recovery, not application-limited. The group already
  // holds this ACK's RTT and bytes.
  virtual void CongestionAvoidance(uint64_t bytes_acked) = 0;

  // The window a loss reduces to, before the 2 MSS floor.
  virtual uint64_t ReducedWindow(uint64_t bytes_in_flight) const {
    return bytes_in_flight / 2;
  }

  // For LIA and BALIA: adds `bytes_acked` to the accumulator and grows cwnd
  // by one MSS each time the accumulator reaches `bytes_per_mss()` (asked
  // again after each step, since the window changed), keeping the
  // remainder. NewReno is the case bytes_per_mss() == cwnd. Values below
  // cwnd (or NaN) count as cwnd: no coupled subflow grows faster than
  // NewReno would.
  //
  // Both compare with a tolerance of kAccumulatorTolerance bytes, so that
  // floating-point rounding of a sum that is mathematically exactly one step
  // (w ACKs of MSS * MSS / w) does not delay the step by a round; integer
  // comparisons (the NewReno case) are unaffected.
  template <typename BytesPerMss>
  void GrowByThreshold(uint64_t bytes_acked, BytesPerMss bytes_per_mss);

  // For OLIA: adds `bytes` (possibly negative) of window growth to the
  // accumulator and moves cwnd by one MSS each time it reaches +MSS or
  // -MSS, keeping the remainder. A decrease lowers ssthresh to the new cwnd
  // when it falls below it (otherwise the next ACK would slow-start the
  // window straight back); the window does not go below 2 MSS (a decrease
  // at the floor is dropped).
  void ApplySignedGrowth(double bytes);

  void SetWindow(uint64_t cwnd);

  const CouplingGroup& coupling() const { return *group_; }

 private:
  struct Saved {
    uint64_t cwnd;
    uint64_t ssthresh;
    double accumulator;
  };

  const std::shared_ptr<CouplingGroup> group_;
  const CouplingGroup::MemberId id_;
  const uint64_t mss_;
  uint64_t cwnd_;
  uint64_t ssthresh_;
  double accumulator_ = 0;
  std::optional<Saved> before_timeout_;
  bool acked_since_timeout_ = true;
};

template <typename BytesPerMss>
void CoupledCongestionControl::GrowByThreshold(uint64_t bytes_acked,
                                               BytesPerMss bytes_per_mss) {
  // The accumulator holds whole bytes while the threshold is cwnd (an
  // integer), so the NewReno case is exact.
  accumulator_ += static_cast<double>(bytes_acked);
  while (true) {
    double threshold = bytes_per_mss();
    const double own = static_cast<double>(cwnd_);
    if (!(threshold > own)) threshold = own;
    if (accumulator_ < threshold - kAccumulatorTolerance) break;
    accumulator_ -= threshold;
    SetWindow(cwnd_ + mss_);
  }
}

}  // namespace plait::cc

#endif  // PLAIT_DATAPLANE_CC_COUPLED_CONTROLLER_H_
