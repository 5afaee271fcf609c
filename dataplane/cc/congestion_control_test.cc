#include "dataplane/cc/congestion_control.h"

#include <cstdint>
#include <limits>

#include "dataplane/base/time.h"
#include "gtest/gtest.h"

namespace plait::cc {
namespace {

// Only the window matters to the default PacingRate.
class FixedWindow : public CongestionControl {
 public:
  FixedWindow(uint64_t cwnd, uint64_t ssthresh)
      : cwnd_(cwnd), ssthresh_(ssthresh) {}
  const char* name() const override { return "fixed"; }
  void OnAck(const AckEvent&) override {}
  void OnCongestionEvent(Time, uint64_t) override {}
  void OnRecoveryEnd(Time) override {}
  void OnRetransmissionTimeout(Time, uint64_t) override {}
  void InheritWindow(uint64_t cwnd, uint64_t ssthresh) override {
    cwnd_ = cwnd;
    ssthresh_ = ssthresh;
  }
  uint64_t congestion_window() const override { return cwnd_; }
  uint64_t slow_start_threshold() const override { return ssthresh_; }

 private:
  uint64_t cwnd_;
  uint64_t ssthresh_;
};

constexpr uint64_t kInfinite = std::numeric_limits<uint64_t>::max();

TEST(PacingRateTest, TwiceCwndPerSrttInSlowStart) {
  // 10000 bytes per 10 ms = 1 MB/s; doubled.
  EXPECT_EQ(FixedWindow(10000, kInfinite).PacingRate(Milliseconds(10)),
            2'000'000u);
  EXPECT_TRUE(FixedWindow(10000, kInfinite).InSlowStart());
}

TEST(PacingRateTest, OnePointTwoInCongestionAvoidance) {
  EXPECT_EQ(FixedWindow(10000, 8000).PacingRate(Milliseconds(10)), 1'200'000u);
  EXPECT_EQ(FixedWindow(10000, 10000).PacingRate(Milliseconds(10)), 1'200'000u);
}

TEST(PacingRateTest, EndOfSlowStartPacesLikeCongestionAvoidance) {
  // Linux paces at 200 % only while cwnd < ssthresh / 2.
  FixedWindow late(10000, 15000);
  EXPECT_TRUE(late.InSlowStart());
  EXPECT_EQ(late.PacingRate(Milliseconds(10)), 1'200'000u);
  EXPECT_EQ(FixedWindow(7499, 15000).PacingRate(Milliseconds(10)),
            1'499'800u);  // 2 * 7499 / 0.01
  EXPECT_EQ(FixedWindow(7500, 15000).PacingRate(Milliseconds(10)),
            900'000u);  // 1.2 * 7500 / 0.01
}

TEST(PacingRateTest, ExactIntegerArithmetic) {
  // 1.2 * 1460 / 0.003 = 584000 exactly.
  EXPECT_EQ(FixedWindow(1460, 0).PacingRate(Milliseconds(3)), 584'000u);
  // 2 * 1460 / 0.003 = 973333.33..., rounded down.
  EXPECT_EQ(FixedWindow(1460, kInfinite).PacingRate(Milliseconds(3)), 973'333u);
  // 1.2 * 14600 / 0.000123456 = 141912908.24...
  EXPECT_EQ(FixedWindow(14600, 0).PacingRate(Nanoseconds(123456)),
            141'912'908u);
}

TEST(PacingRateTest, ZeroWithoutRtt) {
  EXPECT_EQ(FixedWindow(10000, kInfinite).PacingRate(Duration::zero()), 0u);
  EXPECT_EQ(FixedWindow(10000, kInfinite).PacingRate(Nanoseconds(-5)), 0u);
}

TEST(PacingRateTest, SaturatesInsteadOfOverflowing) {
  EXPECT_EQ(
      FixedWindow(uint64_t{1} << 50, kInfinite).PacingRate(Nanoseconds(1)),
      kInfinite);
  // 2^40 * 1.2 / 1 s fits: 1319413953331.2.
  EXPECT_EQ(FixedWindow(uint64_t{1} << 40, 0).PacingRate(Seconds(1)),
            1'319'413'953'331u);
}

}  // namespace
}  // namespace plait::cc
