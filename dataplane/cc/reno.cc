#include "dataplane/cc/reno.h"

#include <algorithm>
#include <cstdint>
#include <limits>

namespace plait::cc {

NewReno::NewReno(uint64_t mss, uint64_t initial_window_segments)
    : mss_(mss),
      cwnd_(mss * initial_window_segments),
      ssthresh_(std::numeric_limits<uint64_t>::max()) {}

void NewReno::OnAck(const AckEvent& ack) {
  if (ack.bytes_acked > 0) acked_since_timeout_ = true;
  if (ack.in_recovery || ack.app_limited || ack.bytes_acked == 0) return;
  if (cwnd_ < ssthresh_) {
    // RFC 3465 section 2.2 with L = 2 * SMSS.
    const uint64_t increase = std::min(ack.bytes_acked, 2 * mss_);
    cwnd_ = std::min(cwnd_ + increase, ssthresh_);
    return;
  }
  // RFC 3465 section 2.1: one MSS per cwnd of acknowledged bytes.
  bytes_acked_in_ca_ += ack.bytes_acked;
  // A stretch ACK covering more than a window grows it once per window's
  // worth, each step measured against the window of that step.
  while (bytes_acked_in_ca_ >= cwnd_) {
    bytes_acked_in_ca_ -= cwnd_;
    cwnd_ += mss_;
  }
}

void NewReno::OnCongestionEvent(Time now, uint64_t bytes_in_flight) {
  before_timeout_.reset();
  ssthresh_ = std::max(bytes_in_flight / 2, kMinimumWindowSegments * mss_);
  cwnd_ = ssthresh_;
  bytes_acked_in_ca_ = 0;
}

void NewReno::OnRecoveryEnd(Time now) {}

void NewReno::OnRetransmissionTimeout(Time now, uint64_t bytes_in_flight) {
  // A timeout with no new data acknowledged since the previous one
  // retransmits the same segment again: RFC 5681 section 3.1 holds ssthresh
  // constant then, and the window worth undoing is the one from before the
  // first timeout of the series.
  const bool repeated = !acked_since_timeout_;
  acked_since_timeout_ = false;
  if (!repeated || !before_timeout_.has_value()) {
    before_timeout_ = Saved{cwnd_, ssthresh_, bytes_acked_in_ca_};
  }
  if (!repeated) {
    ssthresh_ = std::max(bytes_in_flight / 2, kMinimumWindowSegments * mss_);
  }
  cwnd_ = mss_;
  bytes_acked_in_ca_ = 0;
}

void NewReno::OnSpuriousTimeout(Time now) {
  if (!before_timeout_.has_value()) return;
  const Saved saved = *before_timeout_;
  before_timeout_.reset();
  if (saved.cwnd > cwnd_) {
    cwnd_ = saved.cwnd;
    bytes_acked_in_ca_ = saved.bytes_acked_in_ca;
  }
  ssthresh_ = std::max(ssthresh_, saved.ssthresh);
}

void NewReno::InheritWindow(uint64_t cwnd, uint64_t ssthresh) {
  cwnd_ = std::max(cwnd, mss_);
  ssthresh_ = ssthresh;
  bytes_acked_in_ca_ = 0;
  before_timeout_.reset();
  acked_since_timeout_ = true;
}

}  // namespace plait::cc
