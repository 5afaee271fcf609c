// Round-trip time estimation and the retransmission timeout (RFC 6298).
//
//   first sample R:   SRTT = R, RTTVAR = R/2
//   later samples R': RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R'|   (old SRTT)
//                     SRTT   = 7/8 SRTT + 1/8 R'
//   RTO = clamp(SRTT + max(G, 4 * RTTVAR, min_rto), min_rto, max_rto)
//
// min_rto bounds the variance term, not the RTO alone, as Linux does
// (tcp_rtt_estimator keeps rttvar >= tcp_rto_min): with a steady RTT,
// RTTVAR shrinks toward zero and an RTO of SRTT plus a little fires
// spuriously as soon as a queue grows or a fast retransmission waits
// behind one (seen on a 120 ms path with a full one-BDP queue).
//
// Arithmetic is integer nanoseconds, rounding toward zero in each step. The
// callers apply Karn's algorithm: no samples from retransmitted segments
// (unless timestamps disambiguate them).
//
// Backoff() doubles the RTO (RFC 6298 5.5) up to max_rto; a new sample
// recomputes the RTO from SRTT and RTTVAR (RFC 6298 2.3), which also clears
// the backoff.
//
// min_rtt is the plain running minimum over the connection's life (no window:
// OnSample takes no time). Call ResetMinRtt() to start a new minimum, e.g.
// after a path change.
#ifndef PLAIT_DATAPLANE_TCP_RTT_ESTIMATOR_H_
#define PLAIT_DATAPLANE_TCP_RTT_ESTIMATOR_H_

#include "dataplane/base/time.h"

namespace plait::tcp {

class RttEstimator {
 public:
  struct Options {
    Duration initial_rto = Seconds(1);       // RFC 6298 2.1
    Duration min_rto = Milliseconds(200);    // Linux TCP_RTO_MIN (RFC: 1 s)
    Duration max_rto = Seconds(120);         // Linux TCP_RTO_MAX
    Duration granularity = Milliseconds(1);  // G
  };

  RttEstimator() : RttEstimator(Options()) {}
  explicit RttEstimator(const Options& options);

  // A new RTT measurement. Negative samples are ignored; samples above an
  // hour count as an hour.
  void OnSample(Duration rtt);

  // Doubles the RTO (after a retransmission timeout), up to max_rto.
  void Backoff();
  // Undoes all Backoff() calls: rto() returns to the computed value.
  void ResetBackoff() { backoff_count_ = 0; }

  // The current retransmission timeout, backoff included.
  Duration rto() const;
  // The RTO before backoff.
  Duration base_rto() const { return base_rto_; }
  int backoff_count() const { return backoff_count_; }

  bool has_sample() const { return has_sample_; }
  // Zero until the first sample.
  Duration srtt() const { return srtt_; }
  Duration rttvar() const { return rttvar_; }
  Duration latest_rtt() const { return latest_rtt_; }
  // Smallest sample seen (Duration::max() until the first sample).
  Duration min_rtt() const { return min_rtt_; }
  void ResetMinRtt() { min_rtt_ = Duration::max(); }

  const Options& options() const { return options_; }

 private:
  Duration Clamp(Duration rto) const;

  Options options_;
  bool has_sample_ = false;
  Duration srtt_{0};
  Duration rttvar_{0};
  Duration latest_rtt_{0};
  Duration min_rtt_ = Duration::max();
  Duration base_rto_;
  int backoff_count_ = 0;
};

}  // namespace plait::tcp

#endif  // PLAIT_DATAPLANE_TCP_RTT_ESTIMATOR_H_
