#include "dataplane/tcp/rtt_estimator.h"

#include <algorithm>

namespace plait::tcp {
namespace {

constexpr Duration kMaxSample = Seconds(3600);

}  // namespace

RttEstimator::RttEstimator(const Options& options)
    : options_(options), base_rto_(Clamp(options.initial_rto)) {}

Duration RttEstimator::Clamp(Duration rto) const {
  return std::clamp(rto, options_.min_rto,
                    std::max(options_.min_rto, options_.max_rto));
}

void RttEstimator::OnSample(Duration rtt) {
  if (rtt < Duration::zero()) return;
  // Keeps 7 * SRTT and 4 * RTTVAR far from int64 overflow.
  rtt = std::min(rtt, kMaxSample);
  latest_rtt_ = rtt;
  min_rtt_ = std::min(min_rtt_, rtt);
  if (!has_sample_) {
    srtt_ = rtt;
    rttvar_ = rtt / 2;
    has_sample_ = true;
  } else {
    const Duration err = srtt_ > rtt ? srtt_ - rtt : rtt - srtt_;
    rttvar_ = (3 * rttvar_ + err) / 4;
    srtt_ = (7 * srtt_ + rtt) / 8;
  }
  base_rto_ = Clamp(
      srtt_ + std::max({options_.granularity, 4 * rttvar_, options_.min_rto}));
  backoff_count_ = 0;
}

void RttEstimator::Backoff() {
  const Duration current = rto();
  if (current > Duration::zero() && current < options_.max_rto) {
    ++backoff_count_;
  }
}

Duration RttEstimator::rto() const {
  Duration rto = base_rto_;
  for (int i = 0; i < backoff_count_ && rto < options_.max_rto; ++i) rto *= 2;
  return std::min(rto, std::max(options_.min_rto, options_.max_rto));
}

}  // namespace plait::tcp
