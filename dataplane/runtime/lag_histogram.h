// How late the event loop runs timers, kept as a Prometheus-style histogram
// (fixed cumulative buckets, count, sum) so that a future
// plait_event_loop_lag_seconds metric can export it as it is.
#ifndef PLAIT_DATAPLANE_RUNTIME_LAG_HISTOGRAM_H_
#define PLAIT_DATAPLANE_RUNTIME_LAG_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <cstdint>

#include "dataplane/base/time.h"

namespace plait::runtime {

// Record() is called on the loop thread; Read() may be called from any thread
// (a metrics exporter's), which is why the counters are atomics: relaxed
// increments cost the loop almost nothing and need no lock.
class LagHistogram {
 public:
  // Bucket upper bounds ("le" labels), in seconds, without +Inf. From 10 us
  // (a loop that keeps up) to 10 s (a loop that is badly stuck): the range
  // where a lag changes what an operator does.
  static constexpr std::array<double, 19> kBoundsSeconds = {
      0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001,
      0.0025,  0.005,    0.01,    0.025,  0.05,    0.1,    0.25,
      0.5,     1,        2.5,     5,      10};
  static constexpr size_t kBuckets = kBoundsSeconds.size() + 1;  // + +Inf

  struct Snapshot {
    // cumulative[i] counts lags <= kBoundsSeconds[i]; the last entry (+Inf)
    // equals count.
    std::array<uint64_t, kBuckets> cumulative{};
    uint64_t count = 0;
    double sum_seconds = 0;
    double max_seconds = 0;
  };

  LagHistogram();

  // Negative lags (impossible for timers, which never run early) count as 0.
  void Record(Duration lag);
  Snapshot Read() const;

 private:
  std::array<int64_t, kBoundsSeconds.size()> bounds_ns_;
  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};  // not cumulative
  std::atomic<int64_t> sum_ns_{0};
  std::atomic<int64_t> max_ns_{0};
};

}  // namespace plait::runtime

#endif  // PLAIT_DATAPLANE_RUNTIME_LAG_HISTOGRAM_H_
