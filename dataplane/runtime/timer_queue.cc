#include "dataplane/runtime/timer_queue.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace plait::runtime {

TimerQueue::Id TimerQueue::Add(std::function<void()> callback, bool one_shot) {
  const Id id = next_id_++;
  auto timer = std::make_unique<Timer>();
  timer->id = id;
  timer->callback = std::move(callback);
  timer->one_shot = one_shot;
  timers_.emplace(id, std::move(timer));
  return id;
}

TimerQueue::Timer* TimerQueue::Find(Id id) const {
  auto it = timers_.find(id);
  if (it == timers_.end() || it->second->removed) return nullptr;
  return it->second.get();
}

bool TimerQueue::Arm(Id id, Time deadline) {
  Timer* t = Find(id);
  if (t == nullptr) return false;
  if (deadline == kNever) {
    if (t->heap_index != kNotInHeap) HeapRemove(t);
    t->deadline = kNever;
    return true;
  }
  t->deadline = deadline;
  t->arm_seq = next_arm_seq_++;
  if (t->heap_index == kNotInHeap) {
    heap_.push_back(t);
    t->heap_index = heap_.size() - 1;
    SiftUp(t->heap_index);
  } else {
    // Moved either way: one of the two sifts is a no-op.
    SiftUp(t->heap_index);
    SiftDown(t->heap_index);
  }
  return true;
}

bool TimerQueue::Disarm(Id id) { return Arm(id, kNever); }

bool TimerQueue::Remove(Id id) {
  Timer* t = Find(id);
  if (t == nullptr) return false;
  if (t->heap_index != kNotInHeap) HeapRemove(t);
  if (t->running) {
    // Its callback is executing; RunExpired frees it when that returns.
    t->removed = true;
  } else {
    timers_.erase(id);
  }
  return true;
}

bool TimerQueue::Contains(Id id) const { return Find(id) != nullptr; }

bool TimerQueue::IsArmed(Id id) const {
  const Timer* t = Find(id);
  return t != nullptr && t->heap_index != kNotInHeap;
}

Time TimerQueue::DeadlineOf(Id id) const {
  const Timer* t = Find(id);
  return t == nullptr || t->heap_index == kNotInHeap ? kNever : t->deadline;
}

Time TimerQueue::NextDeadline() const {
  return heap_.empty() ? kNever : heap_.front()->deadline;
}

size_t TimerQueue::RunExpired(Time now,
                              absl::FunctionRef<void(Time)> before_each) {
  // Collect every timer due at the start of the run before running any, so
  // that a callback re-arming its timer to a deadline that is already past
  // (and earlier than another due timer's) cannot push the others back. The
  // scratch vector is taken out of the member so that a (misbehaving)
  // re-entrant call still works.
  std::vector<Due> due;
  due.swap(due_scratch_);
  due.clear();
  CollectDue(0, now, &due);
  std::sort(due.begin(), due.end(), [](const Due& a, const Due& b) {
    if (a.deadline != b.deadline) return a.deadline < b.deadline;
    return a.arm_seq < b.arm_seq;
  });
  size_t ran = 0;
  for (const Due& d : due) {
    Timer* t = Find(d.id);
    // Removed, disarmed or re-armed by an earlier callback of this run: a
    // re-armed timer waits for the next call, even if already due again.
    if (t == nullptr || t->heap_index == kNotInHeap ||
        t->arm_seq != d.arm_seq) {
      continue;
    }
    HeapRemove(t);
    t->deadline = kNever;
    before_each(d.deadline);
    t->running = true;
    t->callback();
    t->running = false;
    ++ran;
    if (t->removed || (t->one_shot && t->heap_index == kNotInHeap)) {
      timers_.erase(t->id);
    }
  }
  due.clear();
  due_scratch_.swap(due);
  return ran;
}

void TimerQueue::CollectDue(size_t i, Time now, std::vector<Due>* due) const {
  // A heap's children are never earlier than their parent: prune there.
  if (i >= heap_.size() || heap_[i]->deadline > now) return;
  due->push_back({heap_[i]->id, heap_[i]->deadline, heap_[i]->arm_seq});
  CollectDue(2 * i + 1, now, due);
  CollectDue(2 * i + 2, now, due);
}

bool TimerQueue::Before(const Timer* a, const Timer* b) {
  if (a->deadline != b->deadline) return a->deadline < b->deadline;
  return a->arm_seq < b->arm_seq;
}

void TimerQueue::Place(size_t i, Timer* t) {
  heap_[i] = t;
  t->heap_index = i;
}

void TimerQueue::HeapRemove(Timer* t) {
  const size_t i = t->heap_index;
  Timer* last = heap_.back();
  heap_.pop_back();
  t->heap_index = kNotInHeap;
  if (last == t) return;
  Place(i, last);
  SiftUp(i);
  SiftDown(last->heap_index);
}

void TimerQueue::SiftUp(size_t i) {
  Timer* t = heap_[i];
  while (i > 0) {
    const size_t parent = (i - 1) / 2;
    if (!Before(t, heap_[parent])) break;
    Place(i, heap_[parent]);
    i = parent;
  }
  Place(i, t);
}

void TimerQueue::SiftDown(size_t i) {
  Timer* t = heap_[i];
  const size_t n = heap_.size();
  while (true) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && Before(heap_[child + 1], heap_[child])) ++child;
    if (!Before(heap_[child], t)) break;
    Place(i, heap_[child]);
    i = child;
  }
  Place(i, t);
}

}  // namespace plait::runtime
