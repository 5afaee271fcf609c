#include "dataplane/tcp/rtt_estimator.h"

#include "dataplane/base/time.h"
#include "gtest/gtest.h"

namespace plait::tcp {
namespace {

TEST(RttEstimatorTest, InitialState) {
  RttEstimator e;
  EXPECT_FALSE(e.has_sample());
  EXPECT_EQ(e.rto(), Seconds(1));
  EXPECT_EQ(e.srtt(), Duration::zero());
  EXPECT_EQ(e.rttvar(), Duration::zero());
  EXPECT_EQ(e.min_rtt(), Duration::max());
  EXPECT_EQ(e.backoff_count(), 0);
}

TEST(RttEstimatorTest, FirstSampleSetsSrttAndHalfVariance) {
  RttEstimator e;
  e.OnSample(Milliseconds(100));
  EXPECT_TRUE(e.has_sample());
  EXPECT_EQ(e.srtt(), Milliseconds(100));
  EXPECT_EQ(e.rttvar(), Milliseconds(50));
  EXPECT_EQ(e.rto(), Milliseconds(300));  // 100 + 4 * 50
  EXPECT_EQ(e.latest_rtt(), Milliseconds(100));
  EXPECT_EQ(e.min_rtt(), Milliseconds(100));
}

TEST(RttEstimatorTest, LaterSamplesUseRfc6298Gains) {
  RttEstimator e;
  e.OnSample(Milliseconds(100));
  e.OnSample(Milliseconds(200));
  // RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5; SRTT = 7/8 * 100 + 25.
  EXPECT_EQ(e.rttvar(), Microseconds(62500));
  EXPECT_EQ(e.srtt(), Microseconds(112500));
  EXPECT_EQ(e.rto(), Microseconds(112500 + 250000));
  EXPECT_EQ(e.latest_rtt(), Milliseconds(200));
  EXPECT_EQ(e.min_rtt(), Milliseconds(100));

  e.OnSample(Milliseconds(100));
  // RTTVAR = 3/4 * 62.5 + 1/4 * 12.5 = 50; SRTT = 7/8 * 112.5 + 12.5.
  EXPECT_EQ(e.rttvar(), Milliseconds(50));
  EXPECT_EQ(e.srtt(), Nanoseconds(110937500));
  EXPECT_EQ(e.rto(), Nanoseconds(310937500));
  EXPECT_EQ(e.latest_rtt(), Milliseconds(100));
}

TEST(RttEstimatorTest, ClampsToMinAndMax) {
  RttEstimator e;
  e.OnSample(Milliseconds(1));  // 1 + max(4 * 0.5, 200) ms
  EXPECT_EQ(e.rto(), Milliseconds(201));
  EXPECT_EQ(e.base_rto(), Milliseconds(201));
  RttEstimator slow;
  slow.OnSample(Seconds(100));  // 100 + 200 s
  EXPECT_EQ(slow.rto(), Seconds(120));
}

TEST(RttEstimatorTest, GranularityFloorsTheVarianceTerm) {
  RttEstimator::Options o;
  o.min_rto = Duration::zero();
  o.granularity = Milliseconds(1);
  RttEstimator e(o);
  for (int i = 0; i < 100; ++i) e.OnSample(Milliseconds(10));
  EXPECT_EQ(e.srtt(), Milliseconds(10));
  EXPECT_EQ(e.rttvar(), Duration::zero());
  EXPECT_EQ(e.rto(), Milliseconds(11));
}

TEST(RttEstimatorTest, ConfigurableLimits) {
  RttEstimator::Options o;
  o.initial_rto = Seconds(3);
  o.min_rto = Seconds(1);
  o.max_rto = Seconds(10);
  RttEstimator e(o);
  EXPECT_EQ(e.rto(), Seconds(3));
  e.Backoff();
  e.Backoff();
  EXPECT_EQ(e.rto(), Seconds(10));
  e.OnSample(Milliseconds(10));
  EXPECT_EQ(e.rto(), Milliseconds(1010));  // 10 ms + max(20 ms, 1 s)
}

// Linux's rule: min_rto floors the variance term, so a steady RTT keeps the
// RTO a full min_rto above SRTT (RFC 6298 alone would let it fall to SRTT
// plus the granularity and fire as soon as a queue grows).
TEST(RttEstimatorTest, MinRtoFloorsTheVarianceTermOfASteadyPath) {
  RttEstimator e;
  for (int i = 0; i < 100; ++i) e.OnSample(Milliseconds(120));
  EXPECT_EQ(e.rttvar(), Duration::zero());
  EXPECT_EQ(e.rto(), Milliseconds(320));
}

TEST(RttEstimatorTest, BackoffDoublesUpToMax) {
  RttEstimator e;
  Duration expect = Seconds(1);
  for (int i = 1; i <= 6; ++i) {
    e.Backoff();
    expect *= 2;
    EXPECT_EQ(e.rto(), expect) << i;
    EXPECT_EQ(e.backoff_count(), i);
  }
  EXPECT_EQ(e.rto(), Seconds(64));
  e.Backoff();
  EXPECT_EQ(e.rto(), Seconds(120));
  EXPECT_EQ(e.backoff_count(), 7);
  e.Backoff();  // already at max: no further count
  EXPECT_EQ(e.rto(), Seconds(120));
  EXPECT_EQ(e.backoff_count(), 7);
  EXPECT_EQ(e.base_rto(), Seconds(1));
  e.ResetBackoff();
  EXPECT_EQ(e.rto(), Seconds(1));
  EXPECT_EQ(e.backoff_count(), 0);
}

TEST(RttEstimatorTest, SampleClearsBackoff) {
  RttEstimator e;
  e.OnSample(Milliseconds(100));
  e.Backoff();
  e.Backoff();
  EXPECT_EQ(e.rto(), Milliseconds(1200));
  e.OnSample(Milliseconds(100));
  EXPECT_EQ(e.backoff_count(), 0);
  // RTTVAR = 3/4 * 50 + 0 = 37.5; RTO = 100 + max(150, 200).
  EXPECT_EQ(e.rto(), Milliseconds(300));
}

TEST(RttEstimatorTest, NegativeSampleIgnoredAndMinRttResets) {
  RttEstimator e;
  e.OnSample(Milliseconds(-5));
  EXPECT_FALSE(e.has_sample());
  e.OnSample(Milliseconds(40));
  e.OnSample(Milliseconds(30));
  e.OnSample(Milliseconds(50));
  EXPECT_EQ(e.min_rtt(), Milliseconds(30));
  EXPECT_EQ(e.latest_rtt(), Milliseconds(50));
  e.ResetMinRtt();
  EXPECT_EQ(e.min_rtt(), Duration::max());
  e.OnSample(Milliseconds(45));
  EXPECT_EQ(e.min_rtt(), Milliseconds(45));
}

TEST(RttEstimatorTest, HugeSampleIsCappedWithoutOverflow) {
  RttEstimator e;
  e.OnSample(Duration::max());
  EXPECT_EQ(e.srtt(), Seconds(3600));
  EXPECT_EQ(e.rto(), Seconds(120));
  e.OnSample(Duration::max());
  EXPECT_EQ(e.srtt(), Seconds(3600));
}

}  // namespace
}  // namespace plait::tcp
