// Fans the daemon's events out to WatchEvents streams. The loop thread
// publishes (never blocks: a slow reader loses events, counted, instead of
// holding the dataplane up); each stream's gRPC thread waits on its own
// subscription.
#ifndef PLAIT_DATAPLANE_API_EVENT_HUB_H_
#define PLAIT_DATAPLANE_API_EVENT_HUB_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "proto/plait/v1/dataplane.pb.h"

namespace plait::api {

class EventHub;

// What a subscription knows of its hub: the hub may go first, so the
// pointer is cleared under this lock, which a subscription going away holds
// while it unsubscribes.
struct HubRef {
  std::mutex mutex;
  EventHub* hub = nullptr;
};

class Subscription {
 public:
  // What the subscriber wants: the types (empty: all) and one connection
  // (0: all).
  struct Filter {
    absl::flat_hash_set<int> types;
    uint64_t connection_id = 0;
  };

  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // The next event, waiting at most `wait`; nullopt on timeout or once the
  // hub is closed (closed() tells which). Its dropped_before says how many
  // were lost before it.
  std::optional<v1::Event> Next(std::chrono::milliseconds wait);
  bool closed() const;

 private:
  friend class EventHub;
  Subscription(std::shared_ptr<HubRef> hub, Filter filter, size_t capacity);
  bool Wants(const v1::Event& event) const;
  void Push(const v1::Event& event);
  void Close();

  std::shared_ptr<HubRef> hub_;
  const Filter filter_;
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<v1::Event> queue_;
  uint64_t dropped_ = 0;
  bool closed_ = false;
};

class EventHub {
 public:
  // Events a subscriber may have waiting before the oldest are dropped.
  static constexpr size_t kDefaultCapacity = 4096;

  EventHub();
  ~EventHub();
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // Any thread. The subscription stops getting events when destroyed.
  std::unique_ptr<Subscription> Subscribe(Subscription::Filter filter,
                                          size_t capacity = kDefaultCapacity);
  // Sets the event's sequence number and delivers it to every subscriber
  // that wants it. Any thread; never blocks on a subscriber.
  void Publish(v1::Event event);
  // Ends every subscription (their Next returns nullopt at once).
  void Close();

  uint64_t published() const;
  size_t subscribers() const;

 private:
  friend class Subscription;
  void Unsubscribe(Subscription* subscription);

  mutable std::mutex mutex_;
  std::vector<Subscription*> subscriptions_;
  uint64_t sequence_ = 0;
  bool closed_ = false;
  // Shared with the subscriptions, which may outlive the hub. Lock order:
  // self_->mutex before mutex_.
  std::shared_ptr<HubRef> self_;
};

}  // namespace plait::api

#endif  // PLAIT_DATAPLANE_API_EVENT_HUB_H_
