// The event loop plaitd runs on: one thread, epoll for file descriptors,
// a timer heap for deadlines, an eventfd for work posted from other threads,
// and a signalfd for signals.
//
// Threading: everything except Post() and Stop() (and the clock and lag
// readers) must be called on the loop thread -- the one in Run()/RunOnce(),
// or any single thread before the loop first runs. Callbacks always run on
// the loop thread, one at a time, so the code they call needs no locks.
//
// File descriptors are level-triggered. The core reads and writes in bounded
// batches (a few packets per wake-up, for fairness between descriptors), and
// level-triggering reports what is left on the next iteration without
// requiring every callback to drain to EAGAIN; with edge-triggering, one
// callback that stops early would never be woken again. The price is that a
// callback must act on what it is told: a writable socket with nothing to
// send should have its interest Modify()d to kRead, and a descriptor reporting
// hangup or error must be unregistered (or closed), or it is reported again
// on every iteration.
//
// One iteration (RunOnce) is: wait in epoll until a descriptor is ready, work
// is posted, a signal arrives or the earliest timer is due; then run the I/O
// callbacks, the posted tasks, the signal callbacks and the due timers, in
// that order.
#ifndef PLAIT_DATAPLANE_RUNTIME_EVENT_LOOP_H_
#define PLAIT_DATAPLANE_RUNTIME_EVENT_LOOP_H_

#include <signal.h>
#include <sys/epoll.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "dataplane/base/time.h"
#include "dataplane/runtime/clock.h"
#include "dataplane/runtime/lag_histogram.h"
#include "dataplane/runtime/scoped_fd.h"
#include "dataplane/runtime/timer_queue.h"

namespace plait::runtime {

// What a descriptor's callback wants to hear about. kNone keeps the
// registration (and still reports hangup and error) while pausing reads and
// writes, e.g. under back-pressure.
enum class Interest { kNone, kRead, kWrite, kReadWrite };

// What epoll reported for one descriptor.
struct Readiness {
  bool readable = false;
  bool writable = false;
  // EPOLLHUP or EPOLLRDHUP: the peer closed (reads may still return data).
  bool hangup = false;
  // EPOLLERR: read the error with getsockopt(SO_ERROR) or the next I/O call.
  bool error = false;
};

struct EventLoopOptions {
  // Not owned; must outlive the loop. Null means MonotonicClock::Get().
  Clock* clock = nullptr;
  // Events taken per epoll_wait; more ready descriptors are reported on the
  // next iteration.
  int max_events = 256;
};

class EventLoop {
 public:
  using Task = std::function<void()>;
  using IoCallback = std::function<void(Readiness)>;
  using SignalCallback = std::function<void(int signo)>;
  using TimerId = TimerQueue::Id;
  static constexpr TimerId kInvalidTimer = TimerQueue::kInvalidId;

  // Creates the epoll and eventfd descriptors; fails (with the syscall and
  // errno text) when the process is out of descriptors or memory.
  static absl::StatusOr<std::unique_ptr<EventLoop>> Create(
      EventLoopOptions options);
  static absl::StatusOr<std::unique_ptr<EventLoop>> Create() {
    return Create(EventLoopOptions());
  }

  // Closes the loop's own descriptors and drops (without running) posted
  // tasks, timers and registrations. Registered descriptors are not closed:
  // the loop never owned them. Signals handled by the loop stay blocked (see
  // HandleSignal).
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // --- File descriptors (loop thread) ---------------------------------------

  // Watches `fd` (not owned). One registration per descriptor:
  // AlreadyExists if `fd` is registered. Unregister before closing `fd`.
  absl::Status Register(int fd, Interest interest, IoCallback callback);
  absl::Status Modify(int fd, Interest interest);
  // Stops watching `fd`. Safe from inside any callback, including `fd`'s
  // own: events already collected for `fd` in this iteration are dropped,
  // even if the number is registered again meanwhile. The registration is
  // forgotten even when epoll_ctl fails (e.g. `fd` was already closed), and
  // the error is returned.
  absl::Status Unregister(int fd);
  bool IsRegistered(int fd) const;

  // --- Timers (loop thread) -------------------------------------------------
  //
  // A timer runs its task once its deadline has passed, on the loop thread,
  // never early; how late it ran is recorded in lag(). Timers due at the
  // same iteration run earliest deadline first, ties in arming order.

  // One-shot: runs `task` at `deadline` and is then forgotten (Cancel
  // returns false afterwards).
  TimerId RunAt(Time deadline, Task task);
  // Now() + delay, saturated: a delay past the end of the timeline (e.g.
  // Duration::max()) gives kNever, a timer that never runs.
  TimerId RunAfter(Duration delay, Task task);
  // A persistent, initially disarmed timer for a deadline that moves, as a
  // connection's next_deadline() does: Rearm() it after each step, with
  // kNever to disarm. It stays until Cancel().
  TimerId CreateTimer(Task task);
  // Moves (or sets) the deadline of any live timer, one-shot or persistent,
  // in O(log n); kNever disarms. Allowed from the timer's own task. False if
  // `id` is not a live timer.
  bool Rearm(TimerId id, Time deadline);
  // Removes the timer; its task will not run (again). False if it already
  // ran (one-shot) or was cancelled.
  bool Cancel(TimerId id);
  bool IsArmed(TimerId id) const { return timers_.IsArmed(id); }
  Time NextTimerDeadline() const { return timers_.NextDeadline(); }
  size_t timer_count() const { return timers_.size(); }

  // --- Cross-thread work (any thread) ---------------------------------------

  // Runs `task` on the loop thread in a later iteration (never inline, even
  // from the loop thread). Tasks from one thread run in the order posted.
  // Wakes the loop through the eventfd, at most once per batch. Tasks still
  // queued when the loop is destroyed are dropped unrun. The loop must
  // outlive every Post() call.
  void Post(Task task);

  // --- Signals (loop thread) ------------------------------------------------

  // Delivers `signo` (e.g. SIGTERM, SIGINT, SIGHUP) to `callback` on the loop
  // thread, through a signalfd; replaces any earlier callback for `signo`.
  //
  // signalfd only sees signals that are blocked, so this blocks `signo` in
  // the calling thread (and, on failure, restores the previous mask). The
  // contract: call it from the main thread before starting any other thread, so
  // that every thread inherits the blocked mask -- a thread that does not block
  // `signo` would take it with the default action (terminate) instead. Standard
  // signals do not queue: two SIGHUPs before the loop reads them arrive as one.
  // The signals stay blocked after the loop is gone, because unblocking could
  // deliver a pending SIGTERM with its default action. Only one loop per
  // process should handle a given signal (whichever reads the signalfd first
  // gets it).
  absl::Status HandleSignal(int signo, SignalCallback callback);

  // --- Running --------------------------------------------------------------

  // Runs iterations until Stop(). Returns OK after Stop(), or the error of a
  // failed epoll_wait (EINTR is not a failure). A Stop() that came before
  // Run() makes Run() return at once; the request is consumed either way, so
  // Run() may be called again.
  absl::Status Run();
  // One iteration, waiting at most `max_wait` (Duration::max(): no limit;
  // zero: poll) for something to do, less if a timer is due sooner.
  absl::Status RunOnce(Duration max_wait);
  // Asks Run() to return once the current iteration finishes (callbacks
  // already due in it still run). Any thread; from outside the loop it wakes
  // the loop.
  void Stop();

  // True on the thread currently (or last) running the loop.
  bool IsLoopThread() const;

  Time Now() const { return clock_->Now(); }
  Clock* clock() const { return clock_; }
  // Timer lateness: the clock read just before each timer's task, minus its
  // deadline. Read from any thread.
  const LagHistogram& lag() const { return lag_; }

 private:
  struct Watch {
    int fd;
    uint32_t generation;
    IoCallback callback;
  };

  EventLoop(Clock* clock, int max_events, ScopedFd epoll_fd, ScopedFd wake_fd);

  absl::Status Wait(Duration timeout, int* ready);
  void Wake();
  void DrainWakeFd();
  void RunPosted();
  void DispatchSignals();
  void RunTimers();

  Clock* const clock_;  // Not owned.
  const int max_events_;
  ScopedFd epoll_fd_;
  ScopedFd wake_fd_;      // eventfd: Post() and Stop() from other threads
  ScopedFd signal_fd_;    // signalfd, created by the first HandleSignal
  sigset_t signal_mask_;  // the signals signal_fd_ reads

  // Registrations by descriptor. epoll's user data carries (generation, fd)
  // so that an event for a descriptor unregistered (and perhaps registered
  // again) earlier in the same batch is recognised as stale.
  absl::flat_hash_map<int, std::unique_ptr<Watch>> watches_;
  // Watches unregistered during dispatch, freed at the end of the iteration
  // so that a callback can unregister itself while it runs.
  std::vector<std::unique_ptr<Watch>> retired_;
  uint32_t next_generation_ = 1;
  std::vector<struct epoll_event> events_;

  TimerQueue timers_;
  absl::flat_hash_map<int, SignalCallback> signal_callbacks_;
  LagHistogram lag_;

  absl::Mutex mu_;
  std::vector<Task> posted_ ABSL_GUARDED_BY(mu_);
  // True from the Post() that wrote the eventfd until the loop takes the
  // batch: later posts skip the write() syscall.
  bool wake_pending_ ABSL_GUARDED_BY(mu_) = false;

  // epoll_pwait2 succeeded at least once in this loop: from then on EPERM is
  // an error, not a seccomp filter that does not allow it.
  bool epoll_pwait2_worked_ = false;

  std::atomic<bool> stop_requested_{false};
  std::atomic<std::thread::id> loop_thread_{};
};

}  // namespace plait::runtime

#endif  // PLAIT_DATAPLANE_RUNTIME_EVENT_LOOP_H_
