// CLOCK_MONOTONIC as plait::Time: the daemon's timeline.
#ifndef PLAIT_DATAPLANE_RUNTIME_MONOTONIC_CLOCK_H_
#define PLAIT_DATAPLANE_RUNTIME_MONOTONIC_CLOCK_H_

#include <time.h>

#include "dataplane/base/time.h"
#include "dataplane/runtime/clock.h"

namespace plait::runtime {

// The timeline's epoch is CLOCK_MONOTONIC's (boot, on Linux), so Times from
// this clock can be compared with kernel timestamps taken on the same clock.
// CLOCK_MONOTONIC rather than CLOCK_BOOTTIME: a suspended host sends nothing,
// and counting the suspension would fire every retransmission timer at once
// on resume.
class MonotonicClock final : public Clock {
 public:
  Time Now() const override;

  // A process-wide instance, never destroyed (it has no state).
  static MonotonicClock* Get();
};

// Conversions at the syscall edge.
Time TimeFromTimespec(const struct timespec& ts);
// `d` must not be negative.
struct timespec DurationToTimespec(Duration d);

}  // namespace plait::runtime

#endif  // PLAIT_DATAPLANE_RUNTIME_MONOTONIC_CLOCK_H_
