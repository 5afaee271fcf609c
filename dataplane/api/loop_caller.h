// Runs work from gRPC's threads on the event loop's thread, and waits for
// it: every connection, the stack and the policy live on the loop thread
// and need no locks, so the API goes to them instead of them guarding
// against the API.
#ifndef PLAIT_DATAPLANE_API_LOOP_CALLER_H_
#define PLAIT_DATAPLANE_API_LOOP_CALLER_H_

#include <atomic>
#include <functional>

#include "absl/status/status.h"
#include "dataplane/base/time.h"
#include "dataplane/runtime/event_loop.h"

namespace plait::api {

class LoopCaller {
 public:
  // `loop` must outlive every Call(); Close() before the loop stops for
  // good, so that callers stop waiting for it.
  explicit LoopCaller(runtime::EventLoop* loop) : loop_(loop) {}

  // Runs `work` on the loop thread and returns once it has run. `work` may
  // use the caller's locals: it runs while the caller waits, or not at
  // all. Unavailable if the loop does not run it within `timeout` (a
  // stuck or stopping loop), `cancelled` (polled while waiting) turns true
  // first, or the caller is closed: then `work` never runs, so a client
  // that gave up is not changed behind its back.
  absl::Status Call(const std::function<void()>& work, Duration timeout,
                    const std::function<bool()>& cancelled = nullptr);

  // Later calls fail at once and waiting ones give up within a slice.
  void Close() { closed_.store(true); }
  bool closed() const { return closed_.load(); }

 private:
  runtime::EventLoop* const loop_;
  std::atomic<bool> closed_{false};
};

}  // namespace plait::api

#endif  // PLAIT_DATAPLANE_API_LOOP_CALLER_H_
