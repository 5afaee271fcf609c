#include "dataplane/cc/cubic.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "dataplane/base/time.h"
#include "dataplane/cc/congestion_control.h"
#include "gtest/gtest.h"

namespace plait::cc {
namespace {

constexpr uint64_t kMss = 1000;
constexpr Duration kRtt = Milliseconds(20);
const Time kT0 = TimeFromEpoch(Seconds(100));

AckEvent Ack(Time now, uint64_t bytes, bool in_recovery = false,
             bool app_limited = false) {
  AckEvent ack;
  ack.now = now;
  ack.bytes_acked = bytes;
  ack.rtt_sample = kRtt;
  ack.smoothed_rtt = kRtt;
  ack.min_rtt = kRtt;
  ack.in_recovery = in_recovery;
  ack.app_limited = app_limited;
  return ack;
}

// A synthetic ACK clock: a window-limited sender over a path with a fixed
// RTT gets floor(cwnd / MSS) ACKs of one MSS per round, evenly spread over
// the round. Returns the time at the end of the round.
Time AckOneRound(Cubic& cubic, Time start) {
  const uint64_t acks = std::max<uint64_t>(cubic.congestion_window() / kMss, 1);
  for (uint64_t i = 0; i < acks; ++i) {
    cubic.OnAck(
        Ack(start + kRtt * static_cast<int64_t>(i) / static_cast<int64_t>(acks),
            kMss));
  }
  return start + kRtt;
}

// A flow whose last loss happened at `w_max_segments`: returns it in
// congestion avoidance at cwnd = 0.7 W_max, recovery over, epoch not started.
Cubic AfterLossAt(uint64_t w_max_segments) {
  Cubic cubic(kMss, w_max_segments);
  cubic.OnCongestionEvent(kT0, w_max_segments * kMss);
  cubic.OnRecoveryEnd(kT0);
  return cubic;
}

TEST(CubicTest, InitialState) {
  Cubic cubic(kMss);
  EXPECT_STREQ(cubic.name(), "cubic");
  EXPECT_EQ(cubic.congestion_window(), 10 * kMss);
  EXPECT_EQ(cubic.slow_start_threshold(), std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(cubic.InSlowStart());
  EXPECT_EQ(cubic.w_max(), 0u);
  EXPECT_EQ(cubic.epoch_start(), std::nullopt);
}

TEST(CubicTest, SlowStartIsRenoWithByteCounting) {
  Cubic cubic(kMss);
  Time now = kT0;
  for (uint64_t want : {20000u, 40000u, 80000u}) {
    const uint64_t acks = cubic.congestion_window() / (2 * kMss);
    for (uint64_t i = 0; i < acks; ++i) cubic.OnAck(Ack(now, 2 * kMss));
    EXPECT_EQ(cubic.congestion_window(), want);
  }
  cubic.OnAck(Ack(now, 10 * kMss));  // L = 2 MSS.
  EXPECT_EQ(cubic.congestion_window(), 82000u);
  EXPECT_EQ(cubic.epoch_start(), std::nullopt);
}

TEST(CubicTest, CongestionEventKeepsSeventyPercent) {
  Cubic cubic(kMss, 100);
  cubic.OnCongestionEvent(kT0, 90000);  // ssthresh comes from cwnd.
  EXPECT_EQ(cubic.w_max(), 100000u);
  EXPECT_EQ(cubic.cwnd_prior(), 100000u);
  EXPECT_EQ(cubic.slow_start_threshold(), 70000u);
  EXPECT_EQ(cubic.congestion_window(), 70000u);
  EXPECT_FALSE(cubic.InSlowStart());

  Cubic odd(1460, 10);  // 14600 * 0.7 = 10220.
  odd.OnCongestionEvent(kT0, 14600);
  EXPECT_EQ(odd.congestion_window(), 10220u);
}

TEST(CubicTest, CongestionEventFloorIsTwoSegments) {
  Cubic cubic(kMss, 2);
  cubic.OnCongestionEvent(kT0, 2000);  // 0.7 * 2000 = 1400 < 2 MSS.
  EXPECT_EQ(cubic.slow_start_threshold(), 2000u);
  EXPECT_EQ(cubic.congestion_window(), 2000u);
}

TEST(CubicTest, KForKnownWmax) {
  // W_max = 100 segments, cwnd_epoch = 0.7 * 100 = 70 segments:
  // K = cbrt((100 - 70) / 0.4) = cbrt(75) = 4.2171633265... s
  // (4.2171633^3 = 74.99999...).
  Cubic cubic = AfterLossAt(100);
  ASSERT_EQ(cubic.epoch_start(), std::nullopt);
  cubic.OnAck(Ack(kT0 + Milliseconds(5), kMss));
  EXPECT_EQ(cubic.epoch_start(), kT0 + Milliseconds(5));
  EXPECT_NEAR(cubic.k_seconds(), 4.2171633265087, 1e-12);
  // W_cubic(0) = cwnd_epoch, W_cubic(K) = W_max.
  EXPECT_NEAR(cubic.WCubicSegments(0), 70.0, 1e-9);
  EXPECT_NEAR(cubic.WCubicSegments(cubic.k_seconds()), 100.0, 1e-12);

  // W_max = 1000 segments: K = cbrt(300 / 0.4) = cbrt(750) = 9.0856029641...
  Cubic big = AfterLossAt(1000);
  big.OnAck(Ack(kT0, kMss));
  EXPECT_NEAR(big.k_seconds(), 9.0856029641607, 1e-12);
}

TEST(CubicTest, ConvexStepIsExact) {
  // After a timeout at cwnd = 100 segments: ssthresh = 70 segments, W_max
  // undefined. Slow start back to 70000 bytes, then the first ACK in
  // congestion avoidance starts the epoch with W_max = W_est = 70000 and
  // K = 0, so W_cubic(t) = 70 + 0.4 t^3 segments.
  Cubic cubic(kMss, 100);
  cubic.OnRetransmissionTimeout(kT0, 100000);
  EXPECT_EQ(cubic.congestion_window(), 1000u);
  EXPECT_EQ(cubic.slow_start_threshold(), 70000u);
  EXPECT_EQ(cubic.w_max(), 0u);
  EXPECT_EQ(cubic.cwnd_prior(), 100000u);
  for (int i = 0; i < 34; ++i) cubic.OnAck(Ack(kT0, 2 * kMss));
  ASSERT_EQ(cubic.congestion_window(), 69000u);
  cubic.OnAck(Ack(kT0, 2 * kMss));  // Capped at ssthresh.
  ASSERT_EQ(cubic.congestion_window(), 70000u);

  // ACK 1 at t = 0. W_est < cwnd_prior, so alpha_cubic = 9/17:
  // W_est += 9 * 1000 * 1000 / (17 * 70000) = 9000000 / 1190000 = 7
  // (remainder 670000). W_cubic(0) = 70000 bytes < W_est = 70007: the
  // Reno-friendly region, cwnd = W_est.
  const Time start = kT0 + Seconds(1);
  cubic.OnAck(Ack(start, kMss));
  EXPECT_EQ(cubic.epoch_start(), start);
  EXPECT_EQ(cubic.w_max(), 70000u);
  EXPECT_EQ(cubic.k_seconds(), 0.0);
  EXPECT_EQ(cubic.w_est(), 70007u);
  EXPECT_EQ(cubic.congestion_window(), 70007u);

  // ACK 2 at t = 1 s. W_est += (9000000 + 670000) / (17 * 70007) =
  // 9670000 / 1190119 = 8, so 70015. W_cubic(1) = 70.4 segments = 70400
  // bytes > W_est: the cubic region. Target W_cubic(1 + 0.02) =
  // 70 + 0.4 * 1.02^3 = 70.4244832 segments = 70424 bytes (within
  // [cwnd, 1.5 cwnd]); cwnd += (70424 - 70007) * 1000 / 70007 = 417000 /
  // 70007 = 5 bytes.
  cubic.OnAck(Ack(start + Seconds(1), kMss));
  EXPECT_EQ(cubic.w_est(), 70015u);
  EXPECT_EQ(cubic.congestion_window(), 70012u);
}

TEST(CubicTest, TargetIsCappedAtOneAndAHalfWindows) {
  // Same convex epoch as above; ten seconds later W_cubic(10.02) =
  // 70 + 0.4 * 1006.0 = 472.4 segments, far above 1.5 cwnd, so the target
  // is floor(1.5 * 70007) = 105010 bytes and a one-MSS ACK adds
  // (105010 - 70007) * 1000 / 70007 = 35003000 / 70007 = 499 bytes (just
  // under half an MSS).
  Cubic cubic(kMss, 100);
  cubic.OnRetransmissionTimeout(kT0, 100000);
  for (int i = 0; i < 35; ++i) cubic.OnAck(Ack(kT0, 2 * kMss));
  const Time start = kT0 + Seconds(1);
  cubic.OnAck(Ack(start, kMss));
  ASSERT_EQ(cubic.congestion_window(), 70007u);
  cubic.OnAck(Ack(start + Seconds(10), kMss));
  EXPECT_EQ(cubic.congestion_window(), 70506u);
}

TEST(CubicTest, RenoFriendlyRegionAtSmallWindow) {
  // W_max = 20 segments at 20 ms: K = cbrt(6 / 0.4) = 2.466 s, and the cubic
  // curve's slope at t = 0, 3 C K^2 = 7.3 segments/s = 0.15 segment per RTT,
  // is below the Reno-friendly 9/17 = 0.53 segment per RTT.
  Cubic cubic = AfterLossAt(20);
  ASSERT_EQ(cubic.congestion_window(), 14000u);
  // First ACK: W_est = 14000 + 9000000 / 238000 = 14037 (remainder 194000);
  // W_cubic(0) = 14000 bytes, so cwnd = W_est.
  cubic.OnAck(Ack(kT0, kMss));
  EXPECT_EQ(cubic.w_est(), 14037u);
  EXPECT_EQ(cubic.congestion_window(), 14037u);
  // Second: W_est += (9000000 + 194000) / (17 * 14037) = 9194000 / 238629
  // = 38.
  cubic.OnAck(Ack(kT0, kMss));
  EXPECT_EQ(cubic.w_est(), 14075u);
  EXPECT_EQ(cubic.congestion_window(), 14075u);

  Time now = kT0 + kRtt;
  for (int round = 0; round < 10; ++round) {
    now = AckOneRound(cubic, now);
    const double t = ToSeconds(now - *cubic.epoch_start());
    // W_est rules: cwnd is W_est, above the cubic curve even one RTT
    // ahead.
    EXPECT_EQ(cubic.congestion_window(), cubic.w_est());
    EXPECT_GT(static_cast<double>(cubic.congestion_window()),
              cubic.WCubicSegments(t + ToSeconds(kRtt)) * kMss);
  }
  // At t = 0.24 s the curve is at 14 + 0.4 (15 - 2.226^3) = 15.6 segments;
  // W_est is past 19 segments.
  EXPECT_GT(static_cast<double>(cubic.congestion_window()),
            cubic.WCubicSegments(0.24) * kMss + 3000);
  // Ten rounds of at most 9/17 MSS each (a little less, since cwnd grows
  // within the round and the ACK count is floor(cwnd / MSS)).
  const uint64_t after_ten = cubic.congestion_window();
  EXPECT_GE(after_ten, 14075u + 10 * 500);
  EXPECT_LE(after_ten, 14075u + 10 * 530);
  // Once W_est reaches cwnd_prior (20000 bytes) alpha_cubic becomes 1:
  // about one MSS per round.
  for (int round = 0; round < 2; ++round) now = AckOneRound(cubic, now);
  ASSERT_GE(cubic.w_est(), cubic.cwnd_prior());
  const uint64_t before = cubic.congestion_window();
  for (int round = 0; round < 10; ++round) now = AckOneRound(cubic, now);
  EXPECT_GE(cubic.congestion_window() - before, 10u * 950);
  EXPECT_LE(cubic.congestion_window() - before, 10u * 1000);
}

TEST(CubicTest, TrajectoryFollowsTheCubicCurve) {
  // W_max = 1000 segments, 20 ms RTT (a BDP where the cubic curve, not
  // W_est, sets the window): K = cbrt(750) = 9.0856 s.
  Cubic cubic = AfterLossAt(1000);
  ASSERT_EQ(cubic.congestion_window(), 700000u);
  Time now = kT0;
  now = AckOneRound(cubic, now);
  ASSERT_EQ(cubic.epoch_start(), kT0);
  const double k = cubic.k_seconds();
  ASSERT_NEAR(k, 9.0856029641607, 1e-12);

  std::optional<double> reached_w_max_at;
  std::vector<uint64_t> cwnd_each_second;      // At t = 1, 2, ... s.
  for (int round = 1; round < 565; ++round) {  // t up to 11.3 s.
    now = AckOneRound(cubic, now);
    const double t = ToSeconds(now - kT0);
    const uint64_t cwnd = cubic.congestion_window();
    // Each round's ACKs chase W_cubic(t + RTT) from W_cubic(t): by the end
    // of the round cwnd is W_cubic(now) to within 1/20 MSS.
    EXPECT_NEAR(static_cast<double>(cwnd), cubic.WCubicSegments(t) * kMss,
                kMss / 20.0)
        << "t = " << t;
    EXPECT_GT(cwnd, cubic.w_est()) << "t = " << t;
    if (!reached_w_max_at.has_value() && cwnd >= 1000 * kMss) {
      reached_w_max_at = t;
    }
    if ((round + 1) % 50 == 0) cwnd_each_second.push_back(cwnd);
  }
  ASSERT_TRUE(reached_w_max_at.has_value());
  EXPECT_NEAR(*reached_w_max_at, k, 0.05);
  // Growth per second: shrinking while t < K (concave), growing after
  // (convex).
  ASSERT_EQ(cwnd_each_second.size(), 11u);
  for (size_t i = 1; i + 1 < 9; ++i) {  // Spans [i, i+1] s up to 9 s.
    const uint64_t before = cwnd_each_second[i] - cwnd_each_second[i - 1];
    const uint64_t after = cwnd_each_second[i + 1] - cwnd_each_second[i];
    EXPECT_LT(after, before) << "second " << i;
  }
  const uint64_t g9_10 = cwnd_each_second[9] - cwnd_each_second[8];
  const uint64_t g10_11 = cwnd_each_second[10] - cwnd_each_second[9];
  EXPECT_GT(g10_11, g9_10);
  EXPECT_GT(cwnd_each_second[10], 1000 * kMss);

  // A loss above W_max is no fast-convergence case: W_max = cwnd.
  const uint64_t cwnd = cubic.congestion_window();
  cubic.OnCongestionEvent(now, cwnd);
  EXPECT_EQ(cubic.w_max(), cwnd);
  EXPECT_EQ(cubic.congestion_window(), cwnd * 7 / 10);
  EXPECT_EQ(cubic.epoch_start(), std::nullopt);
}

TEST(CubicTest, FastConvergence) {
  Cubic cubic = AfterLossAt(100);
  ASSERT_EQ(cubic.w_max(), 100000u);
  // A second loss at cwnd = 70000 < W_max: W_max = 70000 * (1 + 0.7) / 2 =
  // 59500, ssthresh = cwnd = 70000 * 0.7 = 49000.
  cubic.OnCongestionEvent(kT0, 70000);
  EXPECT_EQ(cubic.w_max(), 59500u);
  EXPECT_EQ(cubic.cwnd_prior(), 70000u);
  EXPECT_EQ(cubic.slow_start_threshold(), 49000u);
  EXPECT_EQ(cubic.congestion_window(), 49000u);
  // K = cbrt((59.5 - 49) / 0.4) = cbrt(26.25) = 2.97196... s
  // (2.972^3 = 26.2512), against cbrt(75) = 4.2172 s without fast
  // convergence.
  cubic.OnAck(Ack(kT0, kMss));
  EXPECT_NEAR(cubic.k_seconds(), 2.9719609763815651, 1e-12);
}

TEST(CubicTest, NoGrowthInRecoveryOrWhenApplicationLimited) {
  Cubic cubic(kMss);
  cubic.OnAck(Ack(kT0, 2 * kMss, /*in_recovery=*/true));
  cubic.OnAck(Ack(kT0, 2 * kMss, false, /*app_limited=*/true));
  EXPECT_EQ(cubic.congestion_window(), 10000u);

  cubic.OnCongestionEvent(kT0, 10000);
  cubic.OnAck(Ack(kT0 + Seconds(1), kMss, /*in_recovery=*/true));
  EXPECT_EQ(cubic.congestion_window(), 7000u);
  EXPECT_EQ(cubic.epoch_start(), std::nullopt);  // Starts after recovery.
}

TEST(CubicTest, ApplicationLimitedTimeDoesNotCount) {
  Cubic cubic = AfterLossAt(1000);
  cubic.OnAck(Ack(kT0, kMss));
  ASSERT_EQ(cubic.epoch_start(), kT0);
  const uint64_t cwnd = cubic.congestion_window();
  cubic.OnAck(Ack(kT0 + Seconds(1), kMss, false, /*app_limited=*/true));
  cubic.OnAck(Ack(kT0 + Seconds(2), kMss, false, /*app_limited=*/true));
  EXPECT_EQ(cubic.congestion_window(), cwnd);
  // Limited from 1 s to 3 s: the epoch moves 2 s later.
  cubic.OnAck(Ack(kT0 + Seconds(3), kMss));
  EXPECT_EQ(cubic.epoch_start(), kT0 + Seconds(2));
}

TEST(CubicTest, TimeoutFollowsSection48) {
  Cubic cubic = AfterLossAt(1000);
  Time now = kT0;
  for (int round = 0; round < 50; ++round) now = AckOneRound(cubic, now);
  const uint64_t cwnd = cubic.congestion_window();
  ASSERT_GT(cwnd, 780000u);
  cubic.OnRetransmissionTimeout(now, cwnd);
  EXPECT_EQ(cubic.congestion_window(), kMss);
  EXPECT_EQ(cubic.slow_start_threshold(), cwnd * 7 / 10);
  EXPECT_EQ(cubic.cwnd_prior(), cwnd);
  EXPECT_EQ(cubic.w_max(), 0u);
  EXPECT_EQ(cubic.epoch_start(), std::nullopt);
  EXPECT_TRUE(cubic.InSlowStart());
  // The same segment timing out again keeps ssthresh (RFC 5681 3.1).
  cubic.OnRetransmissionTimeout(now, kMss);
  EXPECT_EQ(cubic.slow_start_threshold(), cwnd * 7 / 10);
  EXPECT_EQ(cubic.congestion_window(), kMss);
  // After progress a timeout is new: 0.7 * 2000 < 2 MSS.
  cubic.OnAck(Ack(now, kMss));
  ASSERT_EQ(cubic.congestion_window(), 2000u);
  cubic.OnRetransmissionTimeout(now, 2000);
  EXPECT_EQ(cubic.slow_start_threshold(), 2000u);
}

TEST(CubicTest, InheritedWindowStartsAConvexEpochFromIt) {
  // A CUBIC that had its own history (W_max, an epoch) takes over another
  // algorithm's window: the history goes, as Linux's bictcp_init.
  Cubic cubic = AfterLossAt(1000);
  Time now = kT0;
  for (int round = 0; round < 5; ++round) now = AckOneRound(cubic, now);
  ASSERT_TRUE(cubic.epoch_start().has_value());
  cubic.InheritWindow(40 * kMss, 30 * kMss);
  EXPECT_EQ(cubic.congestion_window(), 40 * kMss);
  EXPECT_EQ(cubic.slow_start_threshold(), 30 * kMss);
  EXPECT_EQ(cubic.w_max(), 0u);
  EXPECT_EQ(cubic.cwnd_prior(), 0u);
  EXPECT_EQ(cubic.epoch_start(), std::nullopt);
  now += kRtt;
  cubic.OnAck(Ack(now, kMss));
  ASSERT_EQ(cubic.epoch_start(), now);
  EXPECT_EQ(cubic.w_max(), 40 * kMss);
  EXPECT_EQ(cubic.k_seconds(), 0.0);
  EXPECT_EQ(cubic.w_est(), 40 * kMss + kMss / 40);  // alpha 1: W_est >= 0
  // A timeout from before a switch is not undone after it.
  cubic.OnRetransmissionTimeout(now, cubic.congestion_window());
  cubic.InheritWindow(kMss, 28 * kMss);
  cubic.OnSpuriousTimeout(now);
  EXPECT_EQ(cubic.congestion_window(), kMss);
  EXPECT_EQ(cubic.slow_start_threshold(), 28 * kMss);
}

TEST(CubicTest, SpuriousTimeoutRestoresEverything) {
  Cubic cubic = AfterLossAt(1000);
  Time now = kT0;
  for (int round = 0; round < 50; ++round) now = AckOneRound(cubic, now);
  const uint64_t cwnd = cubic.congestion_window();
  const uint64_t ssthresh = cubic.slow_start_threshold();
  const uint64_t w_max = cubic.w_max();
  const double k = cubic.k_seconds();
  const uint64_t w_est = cubic.w_est();
  const std::optional<Time> epoch = cubic.epoch_start();
  ASSERT_EQ(w_max, 1000000u);
  ASSERT_EQ(epoch, kT0);

  cubic.OnRetransmissionTimeout(now, cwnd);
  cubic.OnRetransmissionTimeout(now, kMss);  // Backed off again.
  cubic.OnAck(Ack(now + Milliseconds(300), kMss));
  ASSERT_EQ(cubic.congestion_window(), 2000u);
  cubic.OnSpuriousTimeout(now + Milliseconds(300));
  EXPECT_EQ(cubic.congestion_window(), cwnd);
  EXPECT_EQ(cubic.slow_start_threshold(), ssthresh);
  EXPECT_EQ(cubic.w_max(), w_max);
  EXPECT_EQ(cubic.k_seconds(), k);
  EXPECT_EQ(cubic.w_est(), w_est);
  EXPECT_EQ(cubic.epoch_start(), epoch);
  EXPECT_EQ(cubic.cwnd_prior(), 1000000u);

  // Nothing left to undo.
  cubic.OnSpuriousTimeout(now);
  EXPECT_EQ(cubic.congestion_window(), cwnd);
}

TEST(CubicTest, NoUndoAcrossCongestionEvent) {
  Cubic cubic(kMss, 100);
  cubic.OnRetransmissionTimeout(kT0, 100000);
  cubic.OnAck(Ack(kT0, kMss));
  cubic.OnCongestionEvent(kT0, 2000);
  cubic.OnSpuriousTimeout(kT0);
  EXPECT_EQ(cubic.congestion_window(), 2000u);
  EXPECT_EQ(cubic.slow_start_threshold(), 2000u);
}

TEST(ResponseFunctionTest, Reno) {
  // sqrt(3 / (2 * 0.01)) = sqrt(150) = 12.2474...
  EXPECT_NEAR(RenoResponseFunctionSegments(0.01), 12.247448713915890, 1e-12);
  // sqrt(15000) = 122.474...
  EXPECT_NEAR(RenoResponseFunctionSegments(1e-4), 122.47448713915890, 1e-10);
  EXPECT_EQ(RenoResponseFunctionSegments(0), 0);
  EXPECT_EQ(RenoResponseFunctionSegments(-1), 0);
}

TEST(ResponseFunctionTest, Cubic) {
  // Factor (0.4 * 3.7 / (4 * 0.3))^(1/4) = 1.2333...^(1/4) = 1.05382893...
  EXPECT_NEAR(CubicResponseFunctionSegments(1, 1), 1.0538289313722502, 1e-12);
  // p = 1e-4, RTT = 0.1 s: 1.05383 * 0.1^0.75 / 1e-4^0.75
  // = 1.05383 * 0.177828 / 0.001 = 187.400...
  EXPECT_NEAR(CubicResponseFunctionSegments(1e-4, 0.1), 187.40022903625936,
              1e-9);
  // p = 0.01, RTT = 0.1 s: 1.05383 * 0.177828 / 0.0316228 = 5.92612.
  EXPECT_NEAR(CubicResponseFunctionSegments(0.01, 0.1), 5.926115577918007,
              1e-10);
  EXPECT_EQ(CubicResponseFunctionSegments(0, 0.1), 0);
  EXPECT_EQ(CubicResponseFunctionSegments(0.01, 0), 0);
}

TEST(ResponseFunctionTest, EffectiveIsTheLargerOfCubicAndReno) {
  // Small BDP: Reno's 12.25 beats the cubic curve's 5.93.
  EXPECT_NEAR(CubicEffectiveResponseFunctionSegments(0.01, 0.1),
              12.247448713915890, 1e-12);
  // Large BDP: the cubic curve's 187.4 beats Reno's 122.5.
  EXPECT_NEAR(CubicEffectiveResponseFunctionSegments(1e-4, 0.1),
              187.40022903625936, 1e-9);
  EXPECT_EQ(CubicEffectiveResponseFunctionSegments(0.01, 0), 0);
}

}  // namespace
}  // namespace plait::cc
