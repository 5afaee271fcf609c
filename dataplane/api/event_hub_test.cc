#include "dataplane/api/event_hub.h"

#include <chrono>
#include <memory>
#include <thread>

#include "gtest/gtest.h"

namespace plait::api {
namespace {

using std::chrono::milliseconds;

v1::Event Make(v1::EventType type, uint64_t connection) {
  v1::Event e;
  e.set_type(type);
  e.set_connection_id(connection);
  return e;
}

TEST(EventHubTest, DeliversInOrderWithSequenceNumbers) {
  EventHub hub;
  auto sub = hub.Subscribe({});
  hub.Publish(Make(v1::EVENT_TYPE_CONNECTION_CREATED, 1));
  hub.Publish(Make(v1::EVENT_TYPE_CONNECTION_ESTABLISHED, 1));
  auto a = sub->Next(milliseconds(0));
  auto b = sub->Next(milliseconds(0));
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->type(), v1::EVENT_TYPE_CONNECTION_CREATED);
  EXPECT_EQ(a->sequence(), 1u);
  EXPECT_EQ(b->sequence(), 2u);
  EXPECT_FALSE(sub->Next(milliseconds(10)).has_value());
  EXPECT_FALSE(sub->closed());
}

TEST(EventHubTest, FiltersByTypeAndConnection) {
  EventHub hub;
  Subscription::Filter only_closed;
  only_closed.types.insert(v1::EVENT_TYPE_CONNECTION_CLOSED);
  Subscription::Filter only_conn_7;
  only_conn_7.connection_id = 7;
  auto closed = hub.Subscribe(only_closed);
  auto seven = hub.Subscribe(only_conn_7);
  hub.Publish(Make(v1::EVENT_TYPE_CONNECTION_CREATED, 7));
  hub.Publish(Make(v1::EVENT_TYPE_CONNECTION_CLOSED, 8));
  auto c = closed->Next(milliseconds(0));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->connection_id(), 8u);
  EXPECT_FALSE(closed->Next(milliseconds(0)).has_value());
  auto s = seven->Next(milliseconds(0));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->type(), v1::EVENT_TYPE_CONNECTION_CREATED);
  EXPECT_FALSE(seven->Next(milliseconds(0)).has_value());
}

TEST(EventHubTest, ASlowReaderLosesTheOldestAndIsToldHowMany) {
  EventHub hub;
  auto sub = hub.Subscribe({}, /*capacity=*/3);
  for (int i = 0; i < 10; ++i) {
    hub.Publish(Make(v1::EVENT_TYPE_SUBFLOW_ESTABLISHED, i + 1));
  }
  auto first = sub->Next(milliseconds(0));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->connection_id(), 8u);
  EXPECT_EQ(first->dropped_before(), 7u);
  auto second = sub->Next(milliseconds(0));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->dropped_before(), 0u);
}

TEST(EventHubTest, CloseWakesAWaitingReader) {
  EventHub hub;
  auto sub = hub.Subscribe({});
  std::thread closer([&] {
    std::this_thread::sleep_for(milliseconds(50));
    hub.Close();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(sub->Next(milliseconds(10000)).has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(5000));
  EXPECT_TRUE(sub->closed());
  closer.join();
  // Subscribing to a closed hub gives a closed subscription.
  EXPECT_TRUE(hub.Subscribe({})->closed());
}

TEST(EventHubTest, DestroyedSubscriptionsStopReceiving) {
  EventHub hub;
  {
    auto sub = hub.Subscribe({});
    EXPECT_EQ(hub.subscribers(), 1u);
  }
  EXPECT_EQ(hub.subscribers(), 0u);
  hub.Publish(Make(v1::EVENT_TYPE_FALLBACK, 1));
  EXPECT_EQ(hub.published(), 1u);
}

TEST(EventHubTest, ASubscriptionMayOutliveItsHub) {
  auto hub = std::make_unique<EventHub>();
  auto sub = hub->Subscribe({});
  hub.reset();
  EXPECT_TRUE(sub->closed());
  EXPECT_FALSE(sub->Next(milliseconds(0)).has_value());
  sub.reset();  // must not touch the hub
}

}  // namespace
}  // namespace plait::api
