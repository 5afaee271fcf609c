#include "dataplane/cc/cubic.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include "absl/numeric/int128.h"

namespace plait::cc {
namespace {

// alpha_cubic = 3 (1 - beta) / (1 + beta) = 0.9 / 1.7 = 9/17 (section 4.3).
constexpr uint64_t kAlphaDenominator = 17;
constexpr uint64_t kAlphaRenoFriendlyNumerator = 9;
constexpr uint64_t kAlphaRenoNumerator = 17;

static_assert(3 * (kCubicBetaDenominator - kCubicBetaNumerator) *
                      kAlphaDenominator ==
                  kAlphaRenoFriendlyNumerator *
                      (kCubicBetaDenominator + kCubicBetaNumerator),
              "alpha_cubic must equal 3 (1 - beta) / (1 + beta)");

uint64_t TimesBeta(uint64_t bytes) {
  return absl::Uint128Low64(absl::uint128(bytes) * kCubicBetaNumerator /
                            kCubicBetaDenominator);
}

}  // namespace

double RenoResponseFunctionSegments(double loss_rate) {
  if (!(loss_rate > 0)) return 0;
  return std::sqrt(3.0 / (2.0 * loss_rate));
}

double CubicResponseFunctionSegments(double loss_rate, double rtt_seconds) {
  if (!(loss_rate > 0) || !(rtt_seconds > 0)) return 0;
  const double factor =
      std::pow(kCubicC * (3 + kCubicBeta) / (4 * (1 - kCubicBeta)), 0.25);
  return factor * std::pow(rtt_seconds, 0.75) / std::pow(loss_rate, 0.75);
}

double CubicEffectiveResponseFunctionSegments(double loss_rate,
                                              double rtt_seconds) {
  if (!(rtt_seconds > 0)) return 0;
  return std::max(CubicResponseFunctionSegments(loss_rate, rtt_seconds),
                  RenoResponseFunctionSegments(loss_rate));
}

Cubic::Cubic(uint64_t mss, uint64_t initial_window_segments) : mss_(mss) {
  s_.cwnd = mss * initial_window_segments;
  s_.ssthresh = std::numeric_limits<uint64_t>::max();
}

double Cubic::WCubicSegments(double t) const {
  const double w_max = static_cast<double>(s_.w_max) / mss_;
  const double d = t - s_.k;
  return kCubicC * d * d * d + w_max;
}

void Cubic::OnAck(const AckEvent& ack) {
  if (ack.bytes_acked > 0) acked_since_timeout_ = true;
  if (ack.app_limited) {
    if (s_.in_epoch && !s_.app_limited_since.has_value()) {
      s_.app_limited_since = ack.now;
    }
    return;
  }
  if (s_.app_limited_since.has_value()) {
    if (s_.in_epoch && ack.now > *s_.app_limited_since) {
      s_.epoch_start += ack.now - *s_.app_limited_since;
    }
    s_.app_limited_since.reset();
  }
  if (ack.in_recovery || ack.bytes_acked == 0) return;
  if (s_.cwnd < s_.ssthresh) {
    SlowStart(ack.bytes_acked);
  } else {
    CongestionAvoidance(ack);
  }
}

void Cubic::SlowStart(uint64_t bytes_acked) {
  const uint64_t increase = std::min(bytes_acked, 2 * mss_);
  s_.cwnd = std::min(s_.cwnd + increase, s_.ssthresh);
}

void Cubic::StartEpoch(Time now) {
  s_.in_epoch = true;
  s_.epoch_start = now;
  s_.app_limited_since.reset();
  const uint64_t cwnd_epoch = s_.cwnd;
  if (s_.w_max <= cwnd_epoch) {
    // Sections 4.8 and 4.10: no W_max above us; grow convexly from here.
    s_.w_max = cwnd_epoch;
    s_.k = 0;
  } else {
    // Section 4.2: K = cbrt((W_max - cwnd_epoch) / C), segments and seconds.
    const double gap_segments =
        static_cast<double>(s_.w_max - cwnd_epoch) / mss_;
    s_.k = std::cbrt(gap_segments / kCubicC);
  }
  s_.w_est = cwnd_epoch;
  s_.w_est_remainder = 0;
  s_.cubic_remainder = 0;
}

void Cubic::CongestionAvoidance(const AckEvent& ack) {
  if (!s_.in_epoch) StartEpoch(ack.now);
  const uint64_t cwnd = s_.cwnd;

  // Section 4.3: W_est += alpha_cubic * segments_acked / cwnd (segments),
  // i.e. alpha_cubic * MSS * bytes_acked / cwnd bytes.
  const uint64_t alpha_numerator = s_.w_est >= s_.cwnd_prior
                                       ? kAlphaRenoNumerator
                                       : kAlphaRenoFriendlyNumerator;
  {
    const absl::uint128 scaled =
        absl::uint128(alpha_numerator) * mss_ * ack.bytes_acked +
        s_.w_est_remainder;
    const absl::uint128 denominator = absl::uint128(kAlphaDenominator) * cwnd;
    s_.w_est += absl::Uint128Low64(scaled / denominator);
    s_.w_est_remainder = absl::Uint128Low64(scaled % denominator);
  }

  const double t = ToSeconds(ack.now - s_.epoch_start);
  const double mss = static_cast<double>(mss_);
  if (WCubicSegments(t) * mss < static_cast<double>(s_.w_est)) {
    // Section 4.3: the Reno-friendly region.
    if (s_.w_est > s_.cwnd) s_.cwnd = s_.w_est;
    s_.cubic_remainder = 0;
    return;
  }

  // Sections 4.4 and 4.5: aim for W_cubic one RTT ahead.
  Duration rtt = ack.smoothed_rtt;
  if (rtt <= Duration::zero()) rtt = ack.min_rtt;
  if (rtt <= Duration::zero()) rtt = ack.rtt_sample;
  if (rtt < Duration::zero()) rtt = Duration::zero();
  const double target_segments = WCubicSegments(t + ToSeconds(rtt));
  const double cwnd_d = static_cast<double>(cwnd);
  const double target_d =
      std::clamp(target_segments * mss, cwnd_d, 1.5 * cwnd_d);
  const uint64_t target =
      std::clamp(static_cast<uint64_t>(target_d), cwnd, cwnd + cwnd / 2);
  const absl::uint128 scaled =
      absl::uint128(target - cwnd) * ack.bytes_acked + s_.cubic_remainder;
  s_.cwnd += absl::Uint128Low64(scaled / cwnd);
  s_.cubic_remainder = absl::Uint128Low64(scaled % cwnd);
}

void Cubic::OnCongestionEvent(Time now, uint64_t bytes_in_flight) {
  before_timeout_.reset();
  const uint64_t cwnd = s_.cwnd;
  s_.cwnd_prior = cwnd;
  // Section 4.7, fast convergence.
  if (cwnd < s_.w_max) {
    s_.w_max = absl::Uint128Low64(
        absl::uint128(cwnd) * (kCubicBetaDenominator + kCubicBetaNumerator) /
        (2 * kCubicBetaDenominator));
  } else {
    s_.w_max = cwnd;
  }
  // Section 4.6.
  s_.ssthresh = std::max(TimesBeta(cwnd), kMinimumWindowSegments * mss_);
  s_.cwnd = s_.ssthresh;
  s_.in_epoch = false;
  s_.app_limited_since.reset();
}

void Cubic::OnRecoveryEnd(Time now) {}

void Cubic::OnRetransmissionTimeout(Time now, uint64_t bytes_in_flight) {
  // A timeout with no new data acknowledged since the previous one
  // retransmits the same segment again: RFC 5681 section 3.1 holds ssthresh
  // constant then, and the state worth undoing is the one from before the
  // first timeout of the series.
  const bool repeated = !acked_since_timeout_;
  acked_since_timeout_ = false;
  if (!repeated || !before_timeout_.has_value()) before_timeout_ = s_;
  if (!repeated) {
    const uint64_t cwnd = s_.cwnd;
    s_.cwnd_prior = cwnd;
    s_.ssthresh = std::max(TimesBeta(cwnd), kMinimumWindowSegments * mss_);
    s_.w_max = 0;
    s_.k = 0;
  }
  s_.cwnd = mss_;
  s_.in_epoch = false;
  s_.app_limited_since.reset();
}

void Cubic::OnSpuriousTimeout(Time now) {
  if (!before_timeout_.has_value()) return;
  const uint64_t cwnd = s_.cwnd;
  s_ = *before_timeout_;
  before_timeout_.reset();
  if (cwnd > s_.cwnd) {
    s_.cwnd = cwnd;
    s_.cubic_remainder = 0;
    s_.w_est_remainder = 0;
  }
}

void Cubic::InheritWindow(uint64_t cwnd, uint64_t ssthresh) {
  s_ = State{};
  s_.cwnd = std::max(cwnd, mss_);
  s_.ssthresh = ssthresh;
  before_timeout_.reset();
  acked_since_timeout_ = true;
}

}  // namespace plait::cc
