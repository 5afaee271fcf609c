#include "dataplane/runtime/lag_histogram.h"

#include "dataplane/base/time.h"
#include "gtest/gtest.h"

namespace plait::runtime {
namespace {

size_t BucketOf(double seconds) {
  for (size_t i = 0; i < LagHistogram::kBoundsSeconds.size(); ++i) {
    if (LagHistogram::kBoundsSeconds[i] == seconds) return i;
  }
  ADD_FAILURE() << "no bucket " << seconds;
  return 0;
}

TEST(LagHistogramTest, EmptyReadsZero) {
  LagHistogram h;
  const LagHistogram::Snapshot s = h.Read();
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.sum_seconds, 0);
  EXPECT_EQ(s.max_seconds, 0);
  for (uint64_t c : s.cumulative) EXPECT_EQ(c, 0u);
}

TEST(LagHistogramTest, BucketsAreCumulativeWithLessOrEqualBounds) {
  LagHistogram h;
  h.Record(Duration::zero());    // first bucket
  h.Record(Milliseconds(1));     // exactly on the 1 ms bound: le=0.001
  h.Record(Microseconds(1001));  // just above: le=0.0025
  h.Record(Seconds(60));         // past every bound: +Inf only
  h.Record(Nanoseconds(-5));     // clamped to 0
  const LagHistogram::Snapshot s = h.Read();
  EXPECT_EQ(s.count, 5u);
  EXPECT_EQ(s.cumulative[0], 2u);
  EXPECT_EQ(s.cumulative[BucketOf(0.0005)], 2u);
  EXPECT_EQ(s.cumulative[BucketOf(0.001)], 3u);
  EXPECT_EQ(s.cumulative[BucketOf(0.0025)], 4u);
  EXPECT_EQ(s.cumulative[BucketOf(10)], 4u);
  EXPECT_EQ(s.cumulative.back(), 5u);
  EXPECT_DOUBLE_EQ(s.sum_seconds, 60.002001);
  EXPECT_DOUBLE_EQ(s.max_seconds, 60);
}

TEST(LagHistogramTest, BoundsIncrease) {
  for (size_t i = 1; i < LagHistogram::kBoundsSeconds.size(); ++i) {
    EXPECT_LT(LagHistogram::kBoundsSeconds[i - 1],
              LagHistogram::kBoundsSeconds[i]);
  }
}

}  // namespace
}  // namespace plait::runtime
