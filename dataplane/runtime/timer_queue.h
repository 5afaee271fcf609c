// The event loop's timers: an indexed binary min-heap of deadlines. Pure data
// structure (no clock, no syscalls) so that it is tested on its own.
//
// Why an indexed heap: the sans-I/O core answers next_deadline() after every
// step, so the common operation is "move this connection's timer to X".
// Each timer knows its heap slot, which makes Arm (re-arm), Disarm and
// Remove O(log n) without searching, and a timer object is reused across
// re-arms instead of being allocated per deadline.
#ifndef PLAIT_DATAPLANE_RUNTIME_TIMER_QUEUE_H_
#define PLAIT_DATAPLANE_RUNTIME_TIMER_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "dataplane/base/time.h"

namespace plait::runtime {

// Not thread-safe: the event loop uses it on its own thread only.
class TimerQueue {
 public:
  // Ids are never reused, so a stale id (a timer that fired and was
  // forgotten, or was removed) is recognised instead of hitting another
  // timer.
  using Id = uint64_t;
  static constexpr Id kInvalidId = 0;

  TimerQueue() = default;
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Adds a disarmed timer. A one-shot timer is forgotten after it has run
  // (unless its callback re-armed it); a persistent one stays until Remove.
  Id Add(std::function<void()> callback, bool one_shot);

  // Sets the deadline, re-arming if armed. kNever disarms. Timers with equal
  // deadlines run in the order they were (last) armed. False if `id` is
  // unknown.
  bool Arm(Id id, Time deadline);
  bool Disarm(Id id);
  // Forgets the timer; safe from inside its own callback. False if unknown.
  bool Remove(Id id);

  bool Contains(Id id) const;
  bool IsArmed(Id id) const;
  // kNever if `id` is unknown or disarmed.
  Time DeadlineOf(Id id) const;

  // The earliest armed deadline, kNever if none.
  Time NextDeadline() const;
  size_t size() const { return timers_.size(); }
  size_t armed() const { return heap_.size(); }

  // Runs the timers due at `now` (deadline <= now) when the call begins,
  // earliest first. A timer armed while this runs (including one re-armed by
  // its own callback) waits for the next call even if already due: a
  // callback that keeps re-arming to "now" cannot starve the loop's I/O, and
  // cannot hold back the other timers that were due either. One disarmed or
  // removed by an earlier callback of the run does not run. `before_each` is
  // called with the deadline just before each callback (the loop measures lag
  // there). Returns the number of callbacks run.
  size_t RunExpired(Time now, absl::FunctionRef<void(Time)> before_each);

 private:
  static constexpr size_t kNotInHeap = static_cast<size_t>(-1);

  struct Timer {
    Id id;
    std::function<void()> callback;
    bool one_shot;
    Time deadline = kNever;
    uint64_t arm_seq = 0;  // breaks ties between equal deadlines
    size_t heap_index = kNotInHeap;
    bool running = false;  // its callback is on the stack
    bool removed = false;  // Remove()d while running; freed afterwards
  };

  // A timer due when RunExpired began, as it was armed then.
  struct Due {
    Id id;
    Time deadline;
    uint64_t arm_seq;
  };

  Timer* Find(Id id) const;
  // Appends the due timers of the subtree rooted at heap slot `i`.
  void CollectDue(size_t i, Time now, std::vector<Due>* due) const;
  static bool Before(const Timer* a, const Timer* b);
  void HeapRemove(Timer* t);
  void SiftUp(size_t i);
  void SiftDown(size_t i);
  void Place(size_t i, Timer* t);

  Id next_id_ = 1;
  uint64_t next_arm_seq_ = 0;
  // unique_ptr keeps each Timer (and the std::function being run) at a
  // stable address while callbacks add timers and the map rehashes.
  absl::flat_hash_map<Id, std::unique_ptr<Timer>> timers_;
  std::vector<Timer*> heap_;
  // RunExpired's list of due timers, kept to reuse its memory.
  std::vector<Due> due_scratch_;
};

}  // namespace plait::runtime

#endif  // PLAIT_DATAPLANE_RUNTIME_TIMER_QUEUE_H_
