// The discrete-event simulator's core: a virtual clock and an event queue.
//
// Nothing here reads real time. The clock starts at Time zero (plait::Time,
// dataplane/base/time.h) and jumps from event to event. Events scheduled for
// the same time run in the order they were scheduled (a FIFO sequence number
// breaks ties), so a run is a pure function of its inputs and the seed.
//
// Actors (links, hosts, protocol endpoints) hold a Simulator* and call
// Schedule; the driver (a test, or the plait-sim CLI) calls one of the Run*
// methods. An event may schedule and cancel other events, including ones at
// the current time, which then run after every event already queued for it.
//
//   Simulator sim(/*seed=*/1);
//   sim.Schedule(sim.now() + Milliseconds(5), [&] { ... });
//   sim.RunUntil(TimeFromEpoch(Seconds(1)));
#ifndef PLAIT_SIM_SIMULATOR_H_
#define PLAIT_SIM_SIMULATOR_H_

#include <cstddef>
#include <cstdint>
#include <queue>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "dataplane/base/time.h"
#include "sim/random.h"

namespace plait::sim {

// Names a scheduled event for Cancel. Ids are never reused within one
// Simulator; kNoEvent is never returned by Schedule.
using EventId = uint64_t;
inline constexpr EventId kNoEvent = 0;

class Simulator {
 public:
  explicit Simulator(uint64_t seed = 0);
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // The virtual time: the time of the event running now, or of the last
  // event run, or the deadline a RunUntil advanced to.
  Time now() const { return now_; }

  // Runs `fn` at time `at`, which must not be before now() (the process
  // aborts otherwise: that is a bug in the caller).
  EventId Schedule(Time at, absl::AnyInvocable<void()> fn);
  // Schedule(now() + delay, fn); delay must not be negative.
  EventId ScheduleIn(Duration delay, absl::AnyInvocable<void()> fn);

  // Forgets the event; a no-op for kNoEvent, for an event that already ran
  // and for one already cancelled. The callback is destroyed at once.
  void Cancel(EventId id);

  // Runs the earliest pending event (ties: the first scheduled), advancing
  // now() to its time. False if there was none.
  bool Step();

  // Runs every event at or before `deadline`, then sets now() to `deadline`
  // (unless it is kNever, where the clock stays at the last event).
  void RunUntil(Time deadline);
  // RunUntil(now() + span).
  void RunFor(Duration span);
  // Runs events until `predicate` holds (checked before the first event and
  // after each one) or no event is left at or before `deadline`. True if the
  // predicate held; now() is then the time of the event that made it true.
  // Otherwise now() advances to `deadline` as in RunUntil(deadline).
  bool RunUntil(absl::FunctionRef<bool()> predicate, Time deadline);
  // Runs events at or before `deadline` until none is left. Unlike RunUntil,
  // the clock stays at the last event run: it does not jump to the deadline.
  void RunUntilIdle(Time deadline = kNever);

  // Events still to run (cancelled ones excluded).
  size_t pending_events() const { return callbacks_.size(); }
  // The time of the earliest pending event; kNever if none.
  Time next_event_time();
  // Events run so far.
  uint64_t events_run() const { return events_run_; }

  // The run's root random generator, seeded by the constructor. Actors that
  // draw random numbers should take their own stream with random().Fork(id)
  // so that their draws do not depend on each other.
  Random& random() { return random_; }

  // A fresh packet id (1, 2, 3, ...) for packets created in this run.
  uint64_t NextPacketId() { return ++last_packet_id_; }

 private:
  struct Entry {
    Time at;
    EventId id;  // also the FIFO sequence number
    // std::priority_queue is a max-heap: "less" means "runs later".
    bool operator<(const Entry& other) const {
      if (at != other.at) return at > other.at;
      return id > other.id;
    }
  };

  // Drops cancelled entries from the top of the heap.
  void SkipCancelled();

  Time now_{};
  EventId last_id_ = kNoEvent;
  uint64_t events_run_ = 0;
  uint64_t last_packet_id_ = 0;
  // Cancellation is lazy in the heap and eager in the callback map: an entry
  // whose id is not in callbacks_ was cancelled and is skipped when popped.
  std::priority_queue<Entry> queue_;
  absl::flat_hash_map<EventId, absl::AnyInvocable<void()>> callbacks_;
  Random random_;
};

}  // namespace plait::sim

#endif  // PLAIT_SIM_SIMULATOR_H_
