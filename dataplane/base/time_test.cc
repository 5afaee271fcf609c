#include "dataplane/base/time.h"

#include "gtest/gtest.h"

namespace plait {
namespace {

TEST(TimeTest, ArithmeticKeepsPointsAndSpansApart) {
  const Time start = TimeFromEpoch(Milliseconds(5));
  const Time later = start + Microseconds(1500);
  EXPECT_EQ(later - start, Microseconds(1500));
  EXPECT_EQ(SinceEpoch(later), Microseconds(6500));
  EXPECT_LT(later, kNever);
  EXPECT_DOUBLE_EQ(ToSeconds(Milliseconds(250)), 0.25);
  EXPECT_EQ(FromSeconds(0.002), Milliseconds(2));
  EXPECT_EQ(ToMicroseconds(Seconds(2)), 2'000'000);
}

}  // namespace
}  // namespace plait
