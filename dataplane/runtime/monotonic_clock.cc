#include "dataplane/runtime/monotonic_clock.h"

#include <time.h>

#include <cstdio>
#include <cstdlib>

namespace plait::runtime {

Time MonotonicClock::Now() const {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
    // Only possible on a kernel without CLOCK_MONOTONIC, which nothing in
    // the daemon could run on: a platform bug, not a runtime condition.
    std::perror("clock_gettime(CLOCK_MONOTONIC)");
    std::abort();
  }
  return TimeFromTimespec(ts);
}

MonotonicClock* MonotonicClock::Get() {
  static MonotonicClock* const clock = new MonotonicClock();
  return clock;
}

Time TimeFromTimespec(const struct timespec& ts) {
  return TimeFromEpoch(Seconds(ts.tv_sec) + Nanoseconds(ts.tv_nsec));
}

struct timespec DurationToTimespec(Duration d) {
  const int64_t ns = d.count();
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  return ts;
}

}  // namespace plait::runtime
