// Post() from other threads: every task runs, on the loop thread, in order
// per posting thread.
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "dataplane/runtime/event_loop.h"
#include "gtest/gtest.h"

namespace plait::runtime {
namespace {

std::unique_ptr<EventLoop> NewLoop() {
  auto loop = EventLoop::Create();
  EXPECT_TRUE(loop.ok()) << loop.status();
  return *std::move(loop);
}

TEST(EventLoopPostTest, ManyThreadsAllRunInOrderPerThread) {
  auto loop = NewLoop();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  // Touched only on the loop thread, so no locks.
  std::vector<std::vector<int>> seen(kThreads);
  int total = 0;
  std::thread::id loop_thread;
  bool all_on_loop_thread = true;

  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t) {
    posters.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        loop->Post([&, t, i] {
          all_on_loop_thread &= std::this_thread::get_id() == loop_thread;
          seen[t].push_back(i);
          if (++total == kThreads * kPerThread) loop->Stop();
        });
      }
    });
  }
  loop_thread = std::this_thread::get_id();
  ASSERT_TRUE(loop->Run().ok());
  for (std::thread& t : posters) t.join();

  EXPECT_TRUE(all_on_loop_thread);
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(seen[t].size(), static_cast<size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i) ASSERT_EQ(seen[t][i], i);
  }
}

TEST(EventLoopPostTest, PostFromTheLoopThreadRunsLaterNotInline) {
  auto loop = NewLoop();
  std::vector<int> order;
  loop->Post([&] {
    loop->Post([&] {
      order.push_back(3);
      loop->Stop();
    });
    order.push_back(1);
  });
  loop->Post([&] { order.push_back(2); });
  ASSERT_TRUE(loop->Run().ok());
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(EventLoopPostTest, StopFromAnotherThreadWakesABlockedLoop) {
  auto loop = NewLoop();
  std::atomic<bool> running{false};
  loop->Post([&] { running = true; });
  std::thread stopper([&] {
    while (!running) std::this_thread::yield();
    loop->Stop();
  });
  // Nothing else to do: without the eventfd wake-up this would block forever.
  ASSERT_TRUE(loop->Run().ok());
  stopper.join();
}

TEST(EventLoopPostTest, StopBeforeRunReturnsAtOnce) {
  auto loop = NewLoop();
  loop->Stop();
  EXPECT_TRUE(loop->Run().ok());
}

TEST(EventLoopPostTest, UnrunTasksAreDroppedWithTheLoop) {
  auto counter = std::make_shared<int>(0);
  {
    auto loop = NewLoop();
    loop->Post([counter] { ++*counter; });
  }
  EXPECT_EQ(*counter, 0);
  EXPECT_EQ(counter.use_count(), 1);  // the task was destroyed, not leaked
}

}  // namespace
}  // namespace plait::runtime
