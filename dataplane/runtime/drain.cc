#include "dataplane/runtime/drain.h"

#include <csignal>
#include <utility>

#include "dataplane/runtime/clock.h"

namespace plait::runtime {

// Shared with the `done`, timer and signal callbacks through weak_ptrs, so
// that any of them firing after the Drain is destroyed does nothing.
struct Drain::State : std::enable_shared_from_this<State> {
  struct Drainer {
    std::string name;
    Start start;
    bool done = false;
  };

  State(EventLoop* loop, DrainOptions options)
      : loop(loop), options(std::move(options)) {}

  EventLoop* const loop;  // Not owned.
  const DrainOptions options;
  std::vector<Drainer> drainers;
  size_t pending = 0;
  bool draining = false;
  bool finished = false;
  // While Begin() is still starting drainers, a `done` called synchronously
  // must not finish the drain before the rest have started.
  bool starting = false;
  Time began;
  EventLoop::TimerId deadline_timer = EventLoop::kInvalidTimer;

  void StartDrainer(size_t index) {
    std::weak_ptr<State> weak = weak_from_this();
    // A copy: `drainers` may grow (and move) while start runs.
    Start start = drainers[index].start;
    start([weak, index] {
      if (auto self = weak.lock()) self->MarkDone(index);
    });
  }

  void MarkDone(size_t index) {
    if (finished || drainers[index].done) return;
    drainers[index].done = true;
    --pending;
    if (pending == 0 && !starting) Finish();
  }

  void Begin() {
    if (finished) return;
    if (draining) {
      Finish();
      return;
    }
    draining = true;
    began = loop->Now();
    std::weak_ptr<State> weak = weak_from_this();
    // Saturated: Duration::max() means no deadline, not one in the past.
    deadline_timer =
        loop->RunAt(SaturatingAdd(began, options.deadline), [weak] {
          if (auto self = weak.lock()) self->Finish();
        });
    if (options.on_begin) options.on_begin();
    if (finished) return;  // on_begin may have called Begin() again
    starting = true;
    // Drainers added by a start function start themselves (AddDrainer).
    const size_t count = drainers.size();
    for (size_t i = 0; i < count && !finished; ++i) StartDrainer(i);
    starting = false;
    if (!finished && pending == 0) Finish();
  }

  void Finish() {
    if (finished) return;
    finished = true;
    loop->Cancel(deadline_timer);
    DrainResult result;
    result.completed = pending == 0;
    for (const Drainer& d : drainers) {
      if (!d.done) result.pending.push_back(d.name);
    }
    result.elapsed = loop->Now() - began;
    if (options.on_finish) options.on_finish(result);
    if (options.stop_loop) loop->Stop();
  }
};

Drain::Drain(EventLoop* loop, DrainOptions options)
    : state_(std::make_shared<State>(loop, std::move(options))) {}

Drain::~Drain() { state_->loop->Cancel(state_->deadline_timer); }

void Drain::AddDrainer(std::string name, Start start) {
  State& s = *state_;
  if (s.finished) return;
  s.drainers.push_back({std::move(name), std::move(start)});
  ++s.pending;
  if (s.draining) s.StartDrainer(s.drainers.size() - 1);
}

absl::Status Drain::InstallSignalHandlers() {
  std::weak_ptr<State> weak = state_;
  auto on_signal = [weak](int) {
    if (auto self = weak.lock()) self->Begin();
  };
  if (absl::Status s = state_->loop->HandleSignal(SIGTERM, on_signal);
      !s.ok()) {
    return s;
  }
  return state_->loop->HandleSignal(SIGINT, on_signal);
}

void Drain::Begin() { state_->Begin(); }

bool Drain::draining() const { return state_->draining; }
bool Drain::finished() const { return state_->finished; }

}  // namespace plait::runtime
