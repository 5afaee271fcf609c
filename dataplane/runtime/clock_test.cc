#include <time.h>

#include "dataplane/base/time.h"
#include "dataplane/runtime/manual_clock.h"
#include "dataplane/runtime/monotonic_clock.h"
#include "gtest/gtest.h"

namespace plait::runtime {
namespace {

TEST(MonotonicClockTest, NeverGoesBackwards) {
  MonotonicClock clock;
  Time last = clock.Now();
  for (int i = 0; i < 10000; ++i) {
    const Time now = clock.Now();
    EXPECT_GE(now, last);
    last = now;
  }
}

TEST(MonotonicClockTest, SharesCLOCK_MONOTONICsEpoch) {
  struct timespec before;
  ASSERT_EQ(clock_gettime(CLOCK_MONOTONIC, &before), 0);
  const Time now = MonotonicClock::Get()->Now();
  struct timespec after;
  ASSERT_EQ(clock_gettime(CLOCK_MONOTONIC, &after), 0);
  EXPECT_LE(TimeFromTimespec(before), now);
  EXPECT_LE(now, TimeFromTimespec(after));
}

TEST(MonotonicClockTest, TimespecConversions) {
  struct timespec ts = {.tv_sec = 12, .tv_nsec = 345'678'901};
  EXPECT_EQ(SinceEpoch(TimeFromTimespec(ts)), Nanoseconds(12'345'678'901));
  const struct timespec back = DurationToTimespec(Nanoseconds(12'345'678'901));
  EXPECT_EQ(back.tv_sec, 12);
  EXPECT_EQ(back.tv_nsec, 345'678'901);
  const struct timespec zero = DurationToTimespec(Duration::zero());
  EXPECT_EQ(zero.tv_sec, 0);
  EXPECT_EQ(zero.tv_nsec, 0);
}

TEST(ManualClockTest, MovesOnlyWhenTold) {
  ManualClock clock(TimeFromEpoch(Seconds(5)));
  EXPECT_EQ(clock.Now(), TimeFromEpoch(Seconds(5)));
  clock.Advance(Milliseconds(250));
  EXPECT_EQ(clock.Now(), TimeFromEpoch(Milliseconds(5250)));
  clock.Set(TimeFromEpoch(Seconds(9)));
  EXPECT_EQ(clock.Now(), TimeFromEpoch(Seconds(9)));
}

}  // namespace
}  // namespace plait::runtime
