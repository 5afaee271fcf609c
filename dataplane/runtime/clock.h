// Where the runtime gets the time. Protocol code never reads a clock (it is
// handed a plait::Time); the event loop does, through this interface, so that
// tests can drive timers with a ManualClock instead of waiting.
#ifndef PLAIT_DATAPLANE_RUNTIME_CLOCK_H_
#define PLAIT_DATAPLANE_RUNTIME_CLOCK_H_

#include "dataplane/base/time.h"

namespace plait::runtime {

class Clock {
 public:
  virtual ~Clock() = default;
  // The current time on the core's timeline. Never goes backwards.
  // Implementations are thread-safe.
  virtual Time Now() const = 0;
};

// `t + d` clamped to the timeline: kNever instead of overflowing when `d` is
// huge (a "no deadline" Duration::max()), Time::min() likewise downwards.
inline Time SaturatingAdd(Time t, Duration d) {
  if (d > Duration::zero() && t > kNever - d) return kNever;
  if (d < Duration::zero() && t < Time::min() - d) return Time::min();
  return t + d;
}

}  // namespace plait::runtime

#endif  // PLAIT_DATAPLANE_RUNTIME_CLOCK_H_
