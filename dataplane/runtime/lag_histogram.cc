#include "dataplane/runtime/lag_histogram.h"

#include <algorithm>
#include <cmath>

namespace plait::runtime {

LagHistogram::LagHistogram() {
  for (size_t i = 0; i < kBoundsSeconds.size(); ++i) {
    bounds_ns_[i] = std::llround(kBoundsSeconds[i] * 1e9);
  }
}

void LagHistogram::Record(Duration lag) {
  const int64_t ns = std::max<int64_t>(lag.count(), 0);
  // "le": the first bucket whose bound is >= the value.
  const size_t bucket =
      std::lower_bound(bounds_ns_.begin(), bounds_ns_.end(), ns) -
      bounds_ns_.begin();
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(ns, std::memory_order_relaxed);
  int64_t max = max_ns_.load(std::memory_order_relaxed);
  while (ns > max &&
         !max_ns_.compare_exchange_weak(max, ns, std::memory_order_relaxed)) {
  }
}

LagHistogram::Snapshot LagHistogram::Read() const {
  Snapshot s;
  uint64_t running = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  // Count from the buckets themselves so that +Inf == count always holds,
  // even while the loop records concurrently.
  s.count = running;
  s.sum_seconds =
      ToSeconds(Nanoseconds(sum_ns_.load(std::memory_order_relaxed)));
  s.max_seconds =
      ToSeconds(Nanoseconds(max_ns_.load(std::memory_order_relaxed)));
  return s;
}

}  // namespace plait::runtime
