// Graceful shutdown. On SIGTERM (or SIGINT) the daemon stops accepting new
// work, lets what is open finish -- connections complete or send DATA_FIN --
// and exits when everything reports done or a deadline passes, whichever is
// first.
//
// The contract, as the daemon uses it:
//  - Each part that holds open work registers a drainer: a name and a start
//    function. On Begin() every start function is called once, on the loop
//    thread, with a `done` callback; the part begins winding down (close the
//    listener; send DATA_FIN on every connection) and calls `done` when it
//    has nothing left -- at once if it has nothing. `done` may be called
//    from inside start, at most once counts (later calls are ignored), on the
//    loop thread (Post() it from elsewhere), and is safe to call after the
//    drain has finished or the Drain object is gone.
//  - `on_begin` runs first, before any drainer starts.
//  - When every drainer has called `done`, or `deadline` after Begin(),
//    `on_finish` gets a DrainResult (which drainers were still pending) and
//    the loop is stopped, so Run() returns and main() can exit.
//  - A second SIGTERM/SIGINT during the drain finishes it at once (an
//    impatient operator's Ctrl-C twice); the result then reports the
//    pending drainers like a deadline would.
#ifndef PLAIT_DATAPLANE_RUNTIME_DRAIN_H_
#define PLAIT_DATAPLANE_RUNTIME_DRAIN_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "dataplane/base/time.h"
#include "dataplane/runtime/event_loop.h"

namespace plait::runtime {

struct DrainResult {
  // Every drainer reported done before the deadline (or a second signal).
  bool completed = false;
  // Names of the drainers that had not, in registration order.
  std::vector<std::string> pending;
  // From Begin() to the finish, on the loop's clock.
  Duration elapsed{};
};

struct DrainOptions {
  // How long open work may take once the drain begins.
  Duration deadline = Seconds(30);
  // Runs at Begin(), before the drainers start. Optional.
  std::function<void()> on_begin;
  // Runs once when the drain ends, before the loop is stopped. Optional.
  std::function<void(const DrainResult&)> on_finish;
  // Stop the loop after on_finish.
  bool stop_loop = true;
};

// Loop thread only. The loop must outlive the Drain.
class Drain {
 public:
  using Done = std::function<void()>;
  using Start = std::function<void(Done done)>;

  Drain(EventLoop* loop, DrainOptions options);
  // Cancels the deadline timer; `done` callbacks still held by drainers
  // become no-ops, as do the signal callbacks installed by
  // InstallSignalHandlers.
  ~Drain();
  Drain(const Drain&) = delete;
  Drain& operator=(const Drain&) = delete;

  // Registers a drainer. One added while draining starts at once and is
  // waited for; one added after the finish is ignored (its start never runs).
  void AddDrainer(std::string name, Start start);

  // SIGTERM and SIGINT begin the drain; a second one finishes it at once.
  // See EventLoop::HandleSignal for the signal-mask contract.
  absl::Status InstallSignalHandlers();

  // Begins the drain; if already draining, finishes it at once. Does nothing
  // after the finish.
  void Begin();

  bool draining() const;
  bool finished() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace plait::runtime

#endif  // PLAIT_DATAPLANE_RUNTIME_DRAIN_H_
