#include "dataplane/api/loop_caller.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace plait::api {
namespace {

TEST(LoopCallerTest, RunsWorkOnTheLoopThreadAndWaits) {
  auto loop = runtime::EventLoop::Create();
  ASSERT_TRUE(loop.ok());
  std::thread runner([&] { (*loop)->Run().IgnoreError(); });
  LoopCaller caller(loop->get());
  bool on_loop = false;
  int value = 0;
  ASSERT_TRUE(caller
                  .Call(
                      [&] {
                        on_loop = (*loop)->IsLoopThread();
                        value = 42;
                      },
                      Seconds(5))
                  .ok());
  EXPECT_TRUE(on_loop);
  EXPECT_EQ(value, 42);
  (*loop)->Stop();
  runner.join();
}

TEST(LoopCallerTest, ManyThreadsAtOnceAllComplete) {
  auto loop = runtime::EventLoop::Create();
  ASSERT_TRUE(loop.ok());
  std::thread runner([&] { (*loop)->Run().IgnoreError(); });
  LoopCaller caller(loop->get());
  int counter = 0;  // loop thread only: no lock needed
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (!caller.Call([&] { ++counter; }, Seconds(5)).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_TRUE(caller.Call([] {}, Seconds(5)).ok());
  EXPECT_EQ(counter, 1600);
  (*loop)->Stop();
  runner.join();
}

TEST(LoopCallerTest, ALoopThatDoesNotRunTimesOutAndNeverRunsTheWork) {
  auto loop = runtime::EventLoop::Create();
  ASSERT_TRUE(loop.ok());
  LoopCaller caller(loop->get());
  bool ran = false;
  absl::Status s = caller.Call([&] { ran = true; }, Milliseconds(100));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  // The abandoned task is still queued: running the loop now must not run
  // the work (its captures are gone).
  ASSERT_TRUE((*loop)->RunOnce(Duration::zero()).ok());
  EXPECT_FALSE(ran);
}

TEST(LoopCallerTest, ClosedCallerRefusesAtOnce) {
  auto loop = runtime::EventLoop::Create();
  ASSERT_TRUE(loop.ok());
  LoopCaller caller(loop->get());
  caller.Close();
  absl::Status s = caller.Call([] {}, Seconds(5));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("shutting down"), std::string::npos);
}

TEST(LoopCallerTest, ACancelledCallGivesUpAndItsWorkNeverRuns) {
  auto loop = runtime::EventLoop::Create();
  ASSERT_TRUE(loop.ok());
  LoopCaller caller(loop->get());
  bool ran = false;
  std::atomic<int> polls{0};
  absl::Status s = caller.Call([&] { ran = true; }, Seconds(30),
                               [&] { return ++polls >= 2; });
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("nothing was changed"), std::string::npos);
  // The client gave up long before 30 s; its work must not run later.
  ASSERT_TRUE((*loop)->RunOnce(Duration::zero()).ok());
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace plait::api
