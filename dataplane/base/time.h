// Time for the sans-I/O core. Protocol logic never reads a clock: every call
// that needs the time is given a Time, which the simulator takes from its
// virtual clock and the daemon from CLOCK_MONOTONIC. std::chrono gives the
// arithmetic and keeps Time (a point) and Duration (a span) apart in types.
#ifndef PLAIT_DATAPLANE_BASE_TIME_H_
#define PLAIT_DATAPLANE_BASE_TIME_H_

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

namespace plait {

// A timeline without a now(): the epoch is whatever the driver says (the
// simulator starts at zero, the daemon uses the monotonic clock's epoch).
struct Timeline {
  using rep = int64_t;
  using period = std::nano;
  using duration = std::chrono::duration<rep, period>;
  using time_point = std::chrono::time_point<Timeline>;
  static constexpr bool is_steady = true;
};

using Duration = Timeline::duration;
using Time = Timeline::time_point;

// "No deadline": later than any real time.
inline constexpr Time kNever = Time::max();

inline constexpr Duration Nanoseconds(int64_t n) { return Duration(n); }
inline constexpr Duration Microseconds(int64_t n) {
  return std::chrono::microseconds(n);
}
inline constexpr Duration Milliseconds(int64_t n) {
  return std::chrono::milliseconds(n);
}
inline constexpr Duration Seconds(int64_t n) { return std::chrono::seconds(n); }

// Seconds as a double, for rates and reports.
inline double ToSeconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}
inline Duration FromSeconds(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}
inline int64_t ToMicroseconds(Duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}
// Since the epoch of the timeline.
inline Duration SinceEpoch(Time t) { return t.time_since_epoch(); }
inline Time TimeFromEpoch(Duration d) { return Time(d); }

}  // namespace plait

#endif  // PLAIT_DATAPLANE_BASE_TIME_H_
