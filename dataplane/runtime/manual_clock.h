// A clock that moves only when told to, for tests of timer logic.
#ifndef PLAIT_DATAPLANE_RUNTIME_MANUAL_CLOCK_H_
#define PLAIT_DATAPLANE_RUNTIME_MANUAL_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "dataplane/base/time.h"
#include "dataplane/runtime/clock.h"

namespace plait::runtime {

// Thread-safe: a test may advance it from one thread while the loop reads it
// on another. An event loop on a ManualClock still blocks in real time in
// epoll, so tests advance the clock and then call RunOnce(Duration::zero()).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Time start = Time()) : ns_(SinceEpoch(start).count()) {}

  Time Now() const override {
    return TimeFromEpoch(Nanoseconds(ns_.load(std::memory_order_acquire)));
  }
  // `d` must not be negative: clocks never go backwards.
  void Advance(Duration d) {
    ns_.fetch_add(d.count(), std::memory_order_acq_rel);
  }
  // `t` must not be earlier than Now().
  void Set(Time t) {
    ns_.store(SinceEpoch(t).count(), std::memory_order_release);
  }

 private:
  std::atomic<int64_t> ns_;
};

}  // namespace plait::runtime

#endif  // PLAIT_DATAPLANE_RUNTIME_MANUAL_CLOCK_H_
