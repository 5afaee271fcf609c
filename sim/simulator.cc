#include "sim/simulator.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace plait::sim {

Simulator::Simulator(uint64_t seed) : random_(seed) {}

EventId Simulator::Schedule(Time at, absl::AnyInvocable<void()> fn) {
  if (at < now_) {
    std::fprintf(stderr,
                 "plait::sim::Simulator::Schedule: event at %lld ns is before "
                 "now (%lld ns)\n",
                 static_cast<long long>(SinceEpoch(at).count()),
                 static_cast<long long>(SinceEpoch(now_).count()));
    std::abort();
  }
  const EventId id = ++last_id_;
  queue_.push(Entry{at, id});
  callbacks_.emplace(id, std::move(fn));
  return id;
}

EventId Simulator::ScheduleIn(Duration delay, absl::AnyInvocable<void()> fn) {
  return Schedule(now_ + delay, std::move(fn));
}

void Simulator::Cancel(EventId id) { callbacks_.erase(id); }

void Simulator::SkipCancelled() {
  while (!queue_.empty() && !callbacks_.contains(queue_.top().id)) {
    queue_.pop();
  }
}

Time Simulator::next_event_time() {
  SkipCancelled();
  return queue_.empty() ? kNever : queue_.top().at;
}

bool Simulator::Step() {
  SkipCancelled();
  if (queue_.empty()) return false;
  const Entry entry = queue_.top();
  queue_.pop();
  auto it = callbacks_.find(entry.id);
  absl::AnyInvocable<void()> fn = std::move(it->second);
  callbacks_.erase(it);
  now_ = entry.at;
  ++events_run_;
  fn();
  return true;
}

void Simulator::RunUntil(Time deadline) {
  while (next_event_time() <= deadline && Step()) {
  }
  if (deadline != kNever && now_ < deadline) now_ = deadline;
}

void Simulator::RunFor(Duration span) { RunUntil(now_ + span); }

bool Simulator::RunUntil(absl::FunctionRef<bool()> predicate, Time deadline) {
  if (predicate()) return true;
  while (next_event_time() <= deadline && Step()) {
    if (predicate()) return true;
  }
  if (deadline != kNever && now_ < deadline) now_ = deadline;
  return false;
}

void Simulator::RunUntilIdle(Time deadline) {
  while (next_event_time() <= deadline && Step()) {
  }
}

}  // namespace plait::sim
