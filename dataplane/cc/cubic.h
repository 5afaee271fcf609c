// CUBIC (RFC 9438): the window grows as a cubic function of the time since
// the last congestion event, concave up to the window where that event
// happened (W_max), then convex beyond it, never slower than an AIMD flow
// with Reno's average throughput (the Reno-friendly region).
//
// Windows are bytes (uint64) outside the cubic function; inside it they are
// segments of `mss` bytes and time is in seconds, as in the RFC, and only that
// function and K use doubles. Every other update (slow start, the per-ACK
// increments, W_est, beta_cubic) is exact integer arithmetic with carried
// remainders.
//
// Absent: HyStart++ (RFC 9406; RFC 9438 section 4.10 recommends it), so slow
// start ends only with a loss or at ssthresh; the undo of spurious fast
// retransmits (section 4.9.2), since the interface reports only spurious
// timeouts; CUBIC's own handling of ECN-CE beyond what the engine reports as
// a congestion event.
#ifndef PLAIT_DATAPLANE_CC_CUBIC_H_
#define PLAIT_DATAPLANE_CC_CUBIC_H_

#include <cstdint>
#include <optional>

#include "dataplane/base/time.h"
#include "dataplane/cc/congestion_control.h"

namespace plait::cc {

// RFC 9438 section 4.1's constant C, in segments / second^3.
inline constexpr double kCubicC = 0.4;
// RFC 9438 section 4.6's beta_cubic = 0.7, as the exact fraction 7/10.
inline constexpr uint64_t kCubicBetaNumerator = 7;
inline constexpr uint64_t kCubicBetaDenominator = 10;
inline constexpr double kCubicBeta = 0.7;

// The steady-state response functions: the average congestion window, in
// segments, of one long flow that sees a random (Bernoulli, per packet) loss
// rate `loss_rate` in (0, 1]. Throughput is W * MSS / RTT bytes per second.
// Both return 0 when loss_rate <= 0 (no steady state) or rtt_seconds <= 0.
//
// Reno (Mathis, Semke, Mahdavi and Ott 1997; the standard TCP response
// function RFC 3649 starts from, there rounded to 1.2 / sqrt(p)):
// W = sqrt(3 / (2 p)) ~= 1.22 / sqrt(p) segments, independent of the RTT.
double RenoResponseFunctionSegments(double loss_rate);
//
// CUBIC's own curve (RFC 9438 section 5.1; Ha, Rhee and Xu,
// "CUBIC: A New TCP-Friendly High-Speed TCP Variant", 2008, section 3.2):
//   W = (C (3 + beta) / (4 (1 - beta)))^(1/4) * RTT^(3/4) / p^(3/4)
// segments, with RTT in seconds; with C = 0.4 and beta = 0.7 the factor is
// (1.48 / 1.2)^(1/4) = 1.0538..., so W ~= 1.054 RTT^0.75 / p^0.75.
double CubicResponseFunctionSegments(double loss_rate, double rtt_seconds);
//
// What a CUBIC flow averages: the larger of its cubic curve and the
// Reno-friendly region, whose alpha_cubic = 3 (1 - beta) / (1 + beta) makes it
// match Reno's sqrt(3 / (2 p)) (RFC 9438 section 4.3). At small RTT or high
// loss (small BDP) Reno's term is the larger.
double CubicEffectiveResponseFunctionSegments(double loss_rate,
                                              double rtt_seconds);

class Cubic : public CongestionControl {
 public:
  // `mss` in bytes (must be > 0); the window starts at
  // `initial_window_segments` (>= 1) segments, ssthresh "arbitrarily high".
  explicit Cubic(uint64_t mss,
                 uint64_t initial_window_segments = kInitialWindowSegments);

  const char* name() const override { return "cubic"; }

  // Slow start as NewReno: cwnd += min(bytes_acked, 2 * MSS), capped at
  // ssthresh. Congestion avoidance (RFC 9438 sections 4.2-4.5):
  //   - the first such ACK after a reduction (or after the first slow start)
  //     starts the epoch: epoch_start = now, cwnd_epoch = cwnd,
  //     K = cbrt((W_max - cwnd_epoch) / C), W_est = cwnd_epoch. When W_max is
  //     undefined or not above cwnd (after a timeout, section 4.8, or a slow
  //     start that ended without loss, section 4.10) W_max = cwnd and K = 0.
  //   - W_est += alpha_cubic * segments_acked / cwnd, with
  //     alpha_cubic = 3 (1 - beta) / (1 + beta) = 9/17 until W_est reaches
  //     cwnd_prior (the window before the last reduction), then 1.
  //   - t = now - epoch_start. If W_cubic(t) < W_est the flow is in the
  //     Reno-friendly region and cwnd = W_est. Otherwise the target is
  //     W_cubic(t + RTT) clamped to [cwnd, 1.5 cwnd] and cwnd grows by
  //     (target - cwnd) / cwnd per segment acked, i.e.
  //     (target - cwnd) * bytes_acked / cwnd bytes.
  //   RTT is the ACK's smoothed RTT (section 4.2 names the smoothed RTT);
  //   min_rtt, then the sample, stand in while no smoothed RTT exists.
  // No growth when `in_recovery` or `app_limited`. An application-limited
  // spell does not count towards t: the epoch start moves forward by its
  // length (RFC 9438 section 5.8), as Linux does on CA_EVENT_TX_START.
  void OnAck(const AckEvent& ack) override;

  // Sections 4.6 and 4.7: cwnd_prior = cwnd; W_max = cwnd, or
  // cwnd (1 + beta) / 2 when cwnd < W_max (fast convergence: the flow lost
  // before regaining its last maximum, so it releases bandwidth);
  // ssthresh = max(cwnd * beta, 2 MSS); cwnd = ssthresh; the epoch ends.
  // (RFC 9438 allows flight_size * beta; like Linux we use cwnd, so an
  // application-limited flight does not collapse the window.)
  void OnCongestionEvent(Time now, uint64_t bytes_in_flight) override;
  void OnRecoveryEnd(Time now) override;

  // Section 4.8: ssthresh = max(cwnd * beta, 2 MSS), cwnd_prior = cwnd,
  // cwnd = 1 MSS, the epoch ends and W_max becomes undefined, so the first
  // congestion avoidance after the slow start that follows uses K = 0 and
  // W_max = W_est = the window at its start. A timeout with no new data
  // acknowledged since the previous one only sets cwnd = 1 MSS (RFC 5681
  // section 3.1 holds ssthresh then). The whole state from before the first
  // timeout of such a series is kept for undo.
  void OnRetransmissionTimeout(Time now, uint64_t bytes_in_flight) override;

  // Section 4.9.1: restores cwnd, ssthresh, W_max, K, epoch_start, W_est
  // (and cwnd_prior) from before the timeout; cwnd never shrinks by undoing.
  // Does nothing when nothing is undoable (no timeout, already undone, or a
  // congestion event came after it).
  void OnSpuriousTimeout(Time now) override;

  // W_max, cwnd_prior and the epoch start undefined, as after a timeout
  // (section 4.8; Linux's bictcp_init zeroes them): the first congestion
  // avoidance ACK starts an epoch with W_max = cwnd and K = 0, so the
  // window grows convexly from where the previous algorithm left it.
  void InheritWindow(uint64_t cwnd, uint64_t ssthresh) override;

  uint64_t congestion_window() const override { return s_.cwnd; }
  uint64_t slow_start_threshold() const override { return s_.ssthresh; }

  // Introspection for tests and traces.
  uint64_t mss() const { return mss_; }
  // W_max in bytes; 0 while undefined.
  uint64_t w_max() const { return s_.w_max; }
  // K in seconds for the current epoch (0 when no epoch has started).
  double k_seconds() const { return s_.k; }
  // W_est in bytes for the current epoch.
  uint64_t w_est() const { return s_.w_est; }
  uint64_t cwnd_prior() const { return s_.cwnd_prior; }
  std::optional<Time> epoch_start() const {
    return s_.in_epoch ? std::optional<Time>(s_.epoch_start) : std::nullopt;
  }
  // W_cubic(t) = C (t - K)^3 + W_max in segments (RFC 9438 section 4.2) for
  // the current epoch; t is seconds since the epoch start.
  double WCubicSegments(double t) const;

 private:
  // Everything a spurious-timeout undo restores.
  struct State {
    uint64_t cwnd = 0;
    uint64_t ssthresh = 0;
    uint64_t w_max = 0;  // bytes; 0 = undefined
    uint64_t cwnd_prior = 0;
    bool in_epoch = false;
    Time epoch_start;
    double k = 0;
    uint64_t w_est = 0;
    // Remainder of alpha_cubic * MSS * bytes_acked / cwnd, in units of
    // 1 / (17 * cwnd) bytes.
    uint64_t w_est_remainder = 0;
    // Remainder of (target - cwnd) * bytes_acked / cwnd, in 1 / cwnd bytes.
    uint64_t cubic_remainder = 0;
    // Start of the current application-limited spell, if any.
    std::optional<Time> app_limited_since;
  };

  void StartEpoch(Time now);
  void SlowStart(uint64_t bytes_acked);
  void CongestionAvoidance(const AckEvent& ack);

  const uint64_t mss_;
  State s_;
  std::optional<State> before_timeout_;
  bool acked_since_timeout_ = true;
};

}  // namespace plait::cc

#endif  // PLAIT_DATAPLANE_CC_CUBIC_H_
