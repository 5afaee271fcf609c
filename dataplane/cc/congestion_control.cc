#include "dataplane/cc/congestion_control.h"

#include <cstdint>
#include <limits>

#include "absl/numeric/int128.h"

namespace plait::cc {

// Linux's tcp_update_pacing_rate: rate = cwnd / srtt scaled by
// sysctl_tcp_pacing_ss_ratio (200 %) while cwnd < ssthresh / 2 and by
// sysctl_tcp_pacing_ca_ratio (120 %) otherwise. Linux calls the band
// ssthresh/2 <= cwnd < ssthresh the end of slow start and paces it at the
// gentler ratio so that the burst that ends slow start does not overshoot the
// bottleneck queue by twice the window; so do we.
uint64_t CongestionControl::PacingRate(Duration smoothed_rtt) const {
  const int64_t srtt_ns = smoothed_rtt.count();
  if (srtt_ns <= 0) return 0;
  const uint64_t cwnd = congestion_window();
  const bool early_slow_start = cwnd < slow_start_threshold() / 2;
  // Percent of cwnd/srtt.
  const uint64_t ratio_percent = early_slow_start ? 200 : 120;
  const absl::uint128 rate =
      absl::uint128(cwnd) * ratio_percent * 1'000'000'000 /
      (absl::uint128(static_cast<uint64_t>(srtt_ns)) * 100);
  if (rate > std::numeric_limits<uint64_t>::max()) {
    return std::numeric_limits<uint64_t>::max();
  }
  return absl::Uint128Low64(rate);
}

}  // namespace plait::cc
