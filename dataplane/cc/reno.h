// NewReno's window (RFC 5681, RFC 6582) with appropriate byte counting
// (RFC 3465). The engine owns loss detection, the fast-recovery episode and
// its retransmissions; this class owns only cwnd and ssthresh.
#ifndef PLAIT_DATAPLANE_CC_RENO_H_
#define PLAIT_DATAPLANE_CC_RENO_H_

#include <cstdint>
#include <optional>

#include "dataplane/base/time.h"
#include "dataplane/cc/congestion_control.h"

namespace plait::cc {

class NewReno : public CongestionControl {
 public:
  // `mss` is the sender's maximum segment size in bytes (must be > 0); the
  // window starts at `initial_window_segments` (>= 1) segments and ssthresh
  // starts "arbitrarily high" (RFC 5681 section 3.1).
  explicit NewReno(uint64_t mss,
                   uint64_t initial_window_segments = kInitialWindowSegments);

  const char* name() const override { return "reno"; }

  // Slow start (cwnd < ssthresh): cwnd += min(bytes_acked, L) with
  // L = 2 * MSS (RFC 3465 section 2.2), never beyond ssthresh. Congestion
  // avoidance: cwnd += MSS each time a full cwnd of bytes has been acked
  // (RFC 3465 section 2.1), i.e. MSS * MSS / cwnd per MSS acked, kept exact
  // by an integer byte accumulator. No growth when `in_recovery` or
  // `app_limited`; those ACKs do not feed the accumulator either.
  void OnAck(const AckEvent& ack) override;

  // ssthresh = max(bytes_in_flight / 2, 2 * MSS) (RFC 5681 equation 4) and
  // cwnd = ssthresh: the window once the episode ends (RFC 6582 section 3.2
  // step 6 "set cwnd to ssthresh"). Inflation during recovery is the
  // engine's business.
  void OnCongestionEvent(Time now, uint64_t bytes_in_flight) override;
  void OnRecoveryEnd(Time now) override;

  // ssthresh = max(bytes_in_flight / 2, 2 * MSS), cwnd = 1 MSS (the loss
  // window, RFC 5681 section 3.1). A timeout with no new data acknowledged
  // since the previous one (the same segment timing out again) keeps
  // ssthresh, as section 3.1 says. The window from before the first timeout
  // of such a series is kept for OnSpuriousTimeout.
  void OnRetransmissionTimeout(Time now, uint64_t bytes_in_flight) override;

  // Undoes the last timeout (RFC 5682 section 3.2 / Linux
  // tcp_undo_cwnd_reduction): cwnd = max(cwnd, cwnd before it) and
  // ssthresh = max(ssthresh, ssthresh before it). Does nothing when no
  // timeout is undoable: none happened, it was already undone, or a
  // congestion event came after it.
  void OnSpuriousTimeout(Time now) override;

  // The congestion-avoidance byte count starts from zero.
  void InheritWindow(uint64_t cwnd, uint64_t ssthresh) override;

  uint64_t congestion_window() const override { return cwnd_; }
  uint64_t slow_start_threshold() const override { return ssthresh_; }

  uint64_t mss() const { return mss_; }

 private:
  struct Saved {
    uint64_t cwnd;
    uint64_t ssthresh;
    uint64_t bytes_acked_in_ca;
  };

  const uint64_t mss_;
  uint64_t cwnd_;
  uint64_t ssthresh_;
  // Bytes acked in congestion avoidance since cwnd last grew (RFC 3465's
  // bytes_acked).
  uint64_t bytes_acked_in_ca_ = 0;
  // The window before the last timeout, while it may still be undone.
  std::optional<Saved> before_timeout_;
  // True once an ACK acknowledged new data after the last timeout: the next
  // timeout starts a new series and saves a new window.
  bool acked_since_timeout_ = true;
};

}  // namespace plait::cc

#endif  // PLAIT_DATAPLANE_CC_RENO_H_
