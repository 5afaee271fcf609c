// Congestion control behind one interface, driven by the TCP engine's ACK,
// loss and timeout events. Pure logic: the engine passes the time in. Each
// algorithm is registered by name (registry.h) and chosen per flow.
//
// Units: bytes for windows, the sender's MSS for increments. The engine owns
// loss detection and recovery (SACK/RACK); the algorithm owns only the window
// and the pacing rate.
#ifndef PLAIT_DATAPLANE_CC_CONGESTION_CONTROL_H_
#define PLAIT_DATAPLANE_CC_CONGESTION_CONTROL_H_

#include <cstdint>

#include "dataplane/base/time.h"

namespace plait::cc {

struct AckEvent {
  Time now;
  // Bytes newly acknowledged by this ACK, cumulatively or by SACK.
  uint64_t bytes_acked = 0;
  // Bytes in flight before this ACK was processed.
  uint64_t prior_bytes_in_flight = 0;
  // The RTT sample this ACK gave, or zero when it gave none (Karn).
  Duration rtt_sample{0};
  Duration smoothed_rtt{0};
  Duration min_rtt{0};
  // True while the engine is in fast recovery; algorithms do not grow the
  // window then (RFC 5681 section 3.2, RFC 6675).
  bool in_recovery = false;
  // True when the sender had less data than the window allowed; windows do
  // not grow on application-limited ACKs (RFC 7661's spirit, Linux's
  // tcp_is_cwnd_limited).
  bool app_limited = false;
};

class CongestionControl {
 public:
  virtual ~CongestionControl() = default;

  virtual const char* name() const = 0;

  virtual void OnAck(const AckEvent& ack) = 0;

  // Loss detected by duplicate ACKs, SACK or RACK: the start of one recovery
  // episode. The engine calls this once per episode (not once per lost
  // segment) and does not grow the window until OnRecoveryEnd.
  virtual void OnCongestionEvent(Time now, uint64_t bytes_in_flight) = 0;

  // The episode's recovery point was acknowledged.
  virtual void OnRecoveryEnd(Time now) = 0;

  // The retransmission timer fired (RFC 5681 section 3.1, equation 4).
  virtual void OnRetransmissionTimeout(Time now, uint64_t bytes_in_flight) = 0;

  // A retransmission timeout turned out to be spurious (RFC 5682 / the
  // timestamps of RFC 7323 told so): restore the window from before it.
  virtual void OnSpuriousTimeout(Time now) {}

  // Takes over a connection whose window another controller has been
  // running (a switch of algorithm mid-connection): cwnd = max(cwnd, 1 MSS)
  // and ssthresh as given, everything else as after construction (Linux's
  // tcp_reinit_congestion_control keeps snd_cwnd and snd_ssthresh and
  // re-inits the algorithm's private state). Nothing from before the switch
  // can be undone by OnSpuriousTimeout. Call it before the controller sees
  // any event.
  virtual void InheritWindow(uint64_t cwnd, uint64_t ssthresh) = 0;

  virtual uint64_t congestion_window() const = 0;     // bytes
  virtual uint64_t slow_start_threshold() const = 0;  // bytes
  virtual bool InSlowStart() const {
    return congestion_window() < slow_start_threshold();
  }

  // Bytes per second at which to pace, or 0 for no pacing (send as the window
  // allows). The default paces like Linux (tcp_update_pacing_rate): twice
  // cwnd/srtt in slow start while cwnd < ssthresh / 2, 1.2 times otherwise
  // (congestion avoidance and the last doubling before ssthresh); 0 when
  // smoothed_rtt is not positive.
  virtual uint64_t PacingRate(Duration smoothed_rtt) const;
};

// The window every algorithm starts with: RFC 6928's 10 segments.
inline constexpr uint64_t kInitialWindowSegments = 10;
// The floor after a loss: RFC 5681's 2 segments (1 after an RTO).
inline constexpr uint64_t kMinimumWindowSegments = 2;

}  // namespace plait::cc

#endif  // PLAIT_DATAPLANE_CC_CONGESTION_CONTROL_H_
