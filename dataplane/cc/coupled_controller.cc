#include "dataplane/cc/coupled_controller.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <utility>

#include "dataplane/base/time.h"
#include "dataplane/cc/congestion_control.h"
#include "dataplane/cc/coupled_group.h"

namespace plait::cc {
namespace {

std::shared_ptr<CouplingGroup> OrPrivate(std::shared_ptr<CouplingGroup> g) {
  return g != nullptr ? std::move(g) : std::make_shared<CouplingGroup>();
}

}  // namespace

CoupledCongestionControl::CoupledCongestionControl(
    std::shared_ptr<CouplingGroup> group, uint64_t mss,
    uint64_t initial_window_segments)
    : group_(OrPrivate(std::move(group))),
      id_(group_->Join(mss * initial_window_segments)),
      mss_(mss),
      cwnd_(mss * initial_window_segments),
      ssthresh_(std::numeric_limits<uint64_t>::max()) {}

CoupledCongestionControl::~CoupledCongestionControl() { group_->Leave(id_); }

void CoupledCongestionControl::SetWindow(uint64_t cwnd) {
  cwnd_ = cwnd;
  group_->SetWindow(id_, cwnd);
}

void CoupledCongestionControl::OnAck(const AckEvent& ack) {
  Duration rtt = ack.smoothed_rtt;
  if (rtt <= Duration(0)) rtt = ack.min_rtt;
  if (rtt <= Duration(0)) rtt = ack.rtt_sample;
  group_->SetSmoothedRtt(id_, rtt);
  group_->AddBytesAcked(id_, ack.bytes_acked);

  if (ack.bytes_acked > 0) acked_since_timeout_ = true;
  if (ack.in_recovery || ack.app_limited || ack.bytes_acked == 0) return;
  if (cwnd_ < ssthresh_) {
    const uint64_t increase = std::min(ack.bytes_acked, 2 * mss_);
    SetWindow(std::min(cwnd_ + increase, ssthresh_));
    return;
  }
  CongestionAvoidance(ack.bytes_acked);
}

void CoupledCongestionControl::OnCongestionEvent(Time now,
                                                 uint64_t bytes_in_flight) {
  before_timeout_.reset();
  group_->RecordLoss(id_);
  ssthresh_ =
      std::max(ReducedWindow(bytes_in_flight), kMinimumWindowSegments * mss_);
  SetWindow(ssthresh_);
  accumulator_ = 0;
}

void CoupledCongestionControl::OnRecoveryEnd(Time now) {}

void CoupledCongestionControl::OnRetransmissionTimeout(
    Time now, uint64_t bytes_in_flight) {
  const bool repeated = !acked_since_timeout_;
  acked_since_timeout_ = false;
  if (!repeated || !before_timeout_.has_value()) {
    before_timeout_ = Saved{cwnd_, ssthresh_, accumulator_};
  }
  if (!repeated) {
    group_->RecordLoss(id_);
    ssthresh_ =
        std::max(ReducedWindow(bytes_in_flight), kMinimumWindowSegments * mss_);
  }
  SetWindow(mss_);
  accumulator_ = 0;
}

void CoupledCongestionControl::OnSpuriousTimeout(Time now) {
  if (!before_timeout_.has_value()) return;
  const Saved saved = *before_timeout_;
  before_timeout_.reset();
  if (saved.cwnd > cwnd_) {
    SetWindow(saved.cwnd);
    accumulator_ = saved.accumulator;
  }
  ssthresh_ = std::max(ssthresh_, saved.ssthresh);
}

void CoupledCongestionControl::InheritWindow(uint64_t cwnd, uint64_t ssthresh) {
  SetWindow(std::max(cwnd, mss_));
  ssthresh_ = ssthresh;
  accumulator_ = 0;
  before_timeout_.reset();
  acked_since_timeout_ = true;
}

void CoupledCongestionControl::ApplySignedGrowth(double bytes) {
  const double step = static_cast<double>(mss_);
  accumulator_ += bytes;
  while (accumulator_ >= step - kAccumulatorTolerance) {
    accumulator_ -= step;
    SetWindow(cwnd_ + mss_);
  }
  while (accumulator_ <= -step + kAccumulatorTolerance) {
    accumulator_ += step;
    if (cwnd_ >= (kMinimumWindowSegments + 1) * mss_) {
      SetWindow(cwnd_ - mss_);
      // A deliberate decrease in congestion avoidance, not room for slow
      // start to win back at the next ACK.
      ssthresh_ = std::min(ssthresh_, cwnd_);
    }
  }
}

}  // namespace plait::cc
