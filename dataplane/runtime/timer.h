// A persistent timer owned by the object whose deadline it tracks (e.g. a
// connection wrapper following its next_deadline()), cancelled when that
// object goes away so that no task can run on a destroyed owner.
#ifndef PLAIT_DATAPLANE_RUNTIME_TIMER_H_
#define PLAIT_DATAPLANE_RUNTIME_TIMER_H_

#include <utility>

#include "dataplane/base/time.h"
#include "dataplane/runtime/event_loop.h"

namespace plait::runtime {

// Loop thread only; the loop must outlive the Timer.
class Timer {
 public:
  Timer(EventLoop* loop, EventLoop::Task task)
      : loop_(loop), id_(loop->CreateTimer(std::move(task))) {}
  ~Timer() { loop_->Cancel(id_); }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Sets or moves the deadline (O(log n)); kNever disarms. Typical use after
  // each step of the core: timer.Arm(connection.NextDeadline()).
  void Arm(Time deadline) { loop_->Rearm(id_, deadline); }
  void Disarm() { loop_->Rearm(id_, kNever); }
  bool armed() const { return loop_->IsArmed(id_); }

 private:
  EventLoop* const loop_;  // Not owned.
  const EventLoop::TimerId id_;
};

}  // namespace plait::runtime

#endif  // PLAIT_DATAPLANE_RUNTIME_TIMER_H_
