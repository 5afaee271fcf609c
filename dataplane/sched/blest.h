// "blest": BLocking ESTimation (Ferlin, Alay, Mehani, Boreli, IFIP Networking
// 2016), as the multipath-tcp.org kernel's mptcp_blest.c computes it. It
// starts from the minRTT choice; when that is not the fastest candidate, it
// estimates whether a segment on the slow subflow would occupy the peer's
// connection-level window long enough to block the fast subflow, and if so
// sends nothing and waits for the fast one.
#ifndef PLAIT_DATAPLANE_SCHED_BLEST_H_
#define PLAIT_DATAPLANE_SCHED_BLEST_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/types/span.h"
#include "dataplane/base/time.h"
#include "dataplane/sched/scheduler.h"

namespace plait::sched {

// Let s be the minRTT choice (candidate with room, lowest srtt) and f the
// fastest candidate (lowest srtt, room or not). If srtt_f < srtt_s:
//   1. Linger time of s: with inflight = bytes_in_flight_s + mss_s (counting
//      the new segment), estimate = max_srtt_s if inflight >= cwnd_s, else
//      min_srtt_s + (max_srtt_s - min_srtt_s) * inflight / cwnd_s;
//      linger = max(srtt_s, estimate).
//   2. What f sends meanwhile: n = linger / avg_rtt_f + 1 (integer division)
//      with avg_rtt_f = (min_srtt_f + max_srtt_f) / 2 (n = 1 if 0); with
//      cwnd and ssthresh in segments of mss_f (cwnd_bytes / mss_f),
//      packets = cwnd * (2^min(n,16) - 1) in initial slow start (ssthresh ==
//      kInfiniteSsthresh), else (max(cwnd, ssthresh + 1) + (n - 1) / 2) * n;
//      fast_bytes = packets * mss_f * lambda (lambda in thousandths).
//   3. avail = send_window - (chunk_s + bytes_in_flight_s +
//      queued_unsent_bytes_s), or 0, where chunk_s = min(chunk, room_s) and
//      send_window is the peer's whole data-level window (ConnectionView::
//      send_window_bytes).
//   4. fast_bytes > avail: kWaitForFaster(f); otherwise send on s.
// min_srtt and max_srtt are the smallest and largest srtt this object has
// seen for each established subflow (zero srtts ignored).
//
// lambda starts at 1.2, stays in [1.0, 1.3], and is updated only when step 1
// runs and at least min_srtt_s has passed since the last update (the first
// call counts as an update): +0.04 if the peer's window blocked since the
// last update, else -0.01. "Blocked" is recorded when Schedule() returns
// kWindowFull while a candidate had cwnd room: the moment the reference runs
// its receive-buffer optimisation and sets retrans_flag.
//
// Deviations from the reference, so waiting can never stall: f is chosen
// among the candidates (backup rule applied, potentially failed subflows
// excluded), and equal srtts count as "not slower".
//
// Per-connection state: lambda, its last update time, the blocked flag and
// the srtt range per subflow id (entries for vanished ids are dropped). Fresh
// values: lambda 1.2, ranges = the current srtt.
class BlestScheduler : public Scheduler {
 public:
  static constexpr int kInitialLambda1000 = 1200;
  static constexpr int kMinLambda1000 = 1000;
  static constexpr int kMaxLambda1000 = 1300;
  static constexpr int kLambdaBad1000 = 40;
  static constexpr int kLambdaGood1000 = 10;
  static constexpr int kMaxSlowStartRtts = 16;

  const char* name() const override { return "blest"; }
  Decision Schedule(const ConnectionView& connection,
                    absl::Span<const SubflowView> subflows) override;

  // lambda in thousandths (1200 = 1.2).
  int lambda_1000() const { return lambda_1000_; }

  // The estimates of steps 1 and 2, with this object's current ranges and
  // lambda; exposed for tests.
  Duration LingerTime(const SubflowView& slow) const;
  uint64_t FastBytes(const SubflowView& fast, Duration linger) const;

 private:
  struct RttRange {
    uint32_t id;
    Duration min;
    Duration max;
  };

  void UpdateRanges(absl::Span<const SubflowView> subflows);
  RttRange RangeOf(const SubflowView& subflow) const;
  void UpdateLambda(Time now, Duration min_srtt_slow);

  std::vector<RttRange> ranges_;
  int lambda_1000_ = kInitialLambda1000;
  std::optional<Time> last_lambda_update_;
  bool window_blocked_ = false;
};

}  // namespace plait::sched

#endif  // PLAIT_DATAPLANE_SCHED_BLEST_H_
