#include "dataplane/api/loop_caller.h"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace plait::api {
namespace {

// How often a waiting caller looks at closed_.
constexpr auto kSlice = std::chrono::milliseconds(50);

// Shared by the caller and the posted task, which may outlive the call.
struct CallState {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  // The caller stopped waiting: the task must not touch `work`.
  bool abandoned = false;
  const std::function<void()>* work = nullptr;
};

}  // namespace

absl::Status LoopCaller::Call(const std::function<void()>& work,
                              Duration timeout,
                              const std::function<bool()>& cancelled) {
  if (closed_.load()) {
    return absl::UnavailableError("plaitd is shutting down");
  }
  auto state = std::make_shared<CallState>();
  state->work = &work;
  loop_->Post([state] {
    // The work runs under the state's lock: the caller cannot give up (and
    // return, destroying what `work` refers to) while it runs.
    std::lock_guard<std::mutex> lock(state->mutex);
    if (state->abandoned) return;
    (*state->work)();
    state->done = true;
    state->done_cv.notify_one();
  });
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::nanoseconds(timeout.count() < 0 ? 0 : timeout.count());
  std::unique_lock<std::mutex> lock(state->mutex);
  while (!state->done) {
    if (closed_.load()) {
      state->abandoned = true;
      return absl::UnavailableError("plaitd is shutting down");
    }
    if (cancelled && cancelled()) {
      state->abandoned = true;
      return absl::UnavailableError(
          "the call was cancelled or passed its deadline before plaitd's "
          "event loop took it; nothing was changed");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      state->abandoned = true;
      return absl::UnavailableError(
          "plaitd's event loop did not take the call in time (overloaded "
          "or stuck)");
    }
    state->done_cv.wait_for(lock, kSlice);
  }
  return absl::OkStatus();
}

}  // namespace plait::api
