// A Prometheus counter fed with absolute totals. prometheus-cpp counters
// only Increment, and a counter that decreases reads as a restart to
// Prometheus (rate() would count the whole total again), so a total below
// the highest one seen is ignored: the counter waits until the total passes
// that mark again.
#ifndef PLAIT_DATAPLANE_METRICS_TOTAL_COUNTER_H_
#define PLAIT_DATAPLANE_METRICS_TOTAL_COUNTER_H_

#include <cstdint>

#include "prometheus/counter.h"

namespace plait::metrics {

class TotalCounter {
 public:
  explicit TotalCounter(prometheus::Counter* counter) : counter_(counter) {}

  void Set(uint64_t total) {
    if (total <= high_) return;
    counter_->Increment(static_cast<double>(total - high_));
    high_ = total;
  }

 private:
  prometheus::Counter* counter_;  // owned by its family
  uint64_t high_ = 0;
};

}  // namespace plait::metrics

#endif  // PLAIT_DATAPLANE_METRICS_TOTAL_COUNTER_H_
