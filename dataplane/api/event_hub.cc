#include "dataplane/api/event_hub.h"

#include <algorithm>
#include <utility>

namespace plait::api {

Subscription::Subscription(std::shared_ptr<HubRef> hub, Filter filter,
                           size_t capacity)
    : hub_(std::move(hub)),
      filter_(std::move(filter)),
      capacity_(std::max<size_t>(1, capacity)) {}

Subscription::~Subscription() {
  std::lock_guard<std::mutex> lock(hub_->mutex);
  if (hub_->hub != nullptr) hub_->hub->Unsubscribe(this);
}

bool Subscription::Wants(const v1::Event& event) const {
  if (!filter_.types.empty() &&
      !filter_.types.contains(static_cast<int>(event.type()))) {
    return false;
  }
  return filter_.connection_id == 0 ||
         filter_.connection_id == event.connection_id();
}

void Subscription::Push(const v1::Event& event) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) return;
  if (queue_.size() >= capacity_) {
    queue_.pop_front();
    ++dropped_;
  }
  queue_.push_back(event);
  ready_.notify_one();
}

void Subscription::Close() {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_ = true;
  ready_.notify_all();
}

bool Subscription::closed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return closed_;
}

std::optional<v1::Event> Subscription::Next(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(mutex_);
  ready_.wait_for(lock, wait, [this] { return closed_ || !queue_.empty(); });
  if (queue_.empty()) return std::nullopt;
  v1::Event event = std::move(queue_.front());
  queue_.pop_front();
  event.set_dropped_before(dropped_);
  dropped_ = 0;
  return event;
}

EventHub::EventHub() : self_(std::make_shared<HubRef>()) { self_->hub = this; }

EventHub::~EventHub() {
  Close();
  std::lock_guard<std::mutex> lock(self_->mutex);
  self_->hub = nullptr;
}

std::unique_ptr<Subscription> EventHub::Subscribe(Subscription::Filter filter,
                                                  size_t capacity) {
  std::unique_ptr<Subscription> subscription(
      new Subscription(self_, std::move(filter), capacity));
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) {
    subscription->Close();
  } else {
    subscriptions_.push_back(subscription.get());
  }
  return subscription;
}

void EventHub::Unsubscribe(Subscription* subscription) {
  std::lock_guard<std::mutex> lock(mutex_);
  subscriptions_.erase(
      std::remove(subscriptions_.begin(), subscriptions_.end(), subscription),
      subscriptions_.end());
}

void EventHub::Publish(v1::Event event) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) return;
  event.set_sequence(++sequence_);
  for (Subscription* s : subscriptions_) {
    if (s->Wants(event)) s->Push(event);
  }
}

void EventHub::Close() {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_ = true;
  for (Subscription* s : subscriptions_) s->Close();
  subscriptions_.clear();
}

uint64_t EventHub::published() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sequence_;
}

size_t EventHub::subscribers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return subscriptions_.size();
}

}  // namespace plait::api
