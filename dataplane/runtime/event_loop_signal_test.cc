// Signals through signalfd, raised while blocked. This binary blocks SIGTERM,
// SIGINT and SIGHUP for good (as plaitd does), so it has no other tests.
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "dataplane/runtime/drain.h"
#include "dataplane/runtime/event_loop.h"
#include "gtest/gtest.h"

namespace plait::runtime {
namespace {

constexpr Duration kPatience = Seconds(10);

std::unique_ptr<EventLoop> NewLoop() {
  auto loop = EventLoop::Create();
  EXPECT_TRUE(loop.ok()) << loop.status();
  return *std::move(loop);
}

TEST(EventLoopSignalTest, RaiseAndKillReachTheCallbacks) {
  auto loop = NewLoop();
  std::vector<int> got;
  for (int signo : {SIGTERM, SIGINT, SIGHUP}) {
    ASSERT_TRUE(
        loop->HandleSignal(signo, [&](int s) { got.push_back(s); }).ok());
  }
  // Blocked now: raise() leaves it pending instead of killing the test.
  ASSERT_EQ(raise(SIGHUP), 0);
  ASSERT_TRUE(loop->RunOnce(kPatience).ok());
  EXPECT_EQ(got, std::vector<int>{SIGHUP});

  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  ASSERT_TRUE(loop->RunOnce(kPatience).ok());
  EXPECT_EQ(got, (std::vector<int>{SIGHUP, SIGTERM}));

  // Two different signals pending at once: both delivered.
  ASSERT_EQ(raise(SIGINT), 0);
  ASSERT_EQ(raise(SIGHUP), 0);
  while (got.size() < 4) ASSERT_TRUE(loop->RunOnce(kPatience).ok());
  EXPECT_EQ(got.size(), 4u);
}

TEST(EventLoopSignalTest, ReplacingAHandlerAndStoppingFromIt) {
  auto loop = NewLoop();
  int first = 0;
  int second = 0;
  ASSERT_TRUE(loop->HandleSignal(SIGHUP, [&](int) { ++first; }).ok());
  ASSERT_TRUE(loop->HandleSignal(SIGHUP,
                                 [&](int) {
                                   ++second;
                                   loop->Stop();
                                 })
                  .ok());
  ASSERT_EQ(raise(SIGHUP), 0);
  ASSERT_TRUE(loop->Run().ok());
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 1);
}

TEST(EventLoopSignalTest, UncatchableSignalsAreRefused) {
  auto loop = NewLoop();
  EXPECT_EQ(loop->HandleSignal(SIGKILL, [](int) {}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(loop->HandleSignal(SIGSTOP, [](int) {}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(loop->HandleSignal(SIGHUP, nullptr).code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status bad = loop->HandleSignal(1000, [](int) {});
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("sigaddset(1000)"), std::string::npos) << bad;
}

bool IsBlocked(int signo) {
  sigset_t mask;
  sigemptyset(&mask);
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return sigismember(&mask, signo) == 1;
}

// HandleSignal blocks the signal before creating the signalfd; when that
// fails the signal must not stay blocked with nobody reading it.
TEST(EventLoopSignalTest, FailureRestoresTheSignalMask) {
  auto loop = NewLoop();
  ASSERT_FALSE(IsBlocked(SIGUSR1));
  // Out of descriptors: signalfd fails with EMFILE.
  rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = 64;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> filler;
  for (int fd; (fd = eventfd(0, EFD_CLOEXEC)) >= 0;) filler.push_back(fd);
  absl::Status status = loop->HandleSignal(SIGUSR1, [](int) {});
  for (int fd : filler) close(fd);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("signalfd"), std::string::npos) << status;
  EXPECT_FALSE(IsBlocked(SIGUSR1));
}

TEST(EventLoopSignalTest, SigtermDrainsThenStops) {
  auto loop = NewLoop();
  std::vector<std::string> log;
  DrainOptions options;
  options.deadline = Seconds(60);  // not reached: the drainer finishes
  options.on_begin = [&] { log.push_back("stop accepting"); };
  options.on_finish = [&](const DrainResult& r) {
    log.push_back(r.completed ? "completed" : "deadline");
  };
  Drain drain(loop.get(), options);
  drain.AddDrainer("connections", [&](Drain::Done done) {
    log.push_back("DATA_FIN sent");
    // The last connection closes a little later, on the loop.
    loop->Post([&, done] {
      log.push_back("last connection closed");
      done();
    });
  });
  ASSERT_TRUE(drain.InstallSignalHandlers().ok());
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  ASSERT_TRUE(loop->Run().ok());
  EXPECT_EQ(log,
            (std::vector<std::string>{"stop accepting", "DATA_FIN sent",
                                      "last connection closed", "completed"}));
}

TEST(EventLoopSignalTest, SecondSignalCutsTheDrainShort) {
  auto loop = NewLoop();
  DrainResult result;
  DrainOptions options;
  options.deadline = Seconds(3600);
  options.on_finish = [&](const DrainResult& r) { result = r; };
  Drain drain(loop.get(), options);
  drain.AddDrainer("stuck", [](Drain::Done) {});  // never done
  ASSERT_TRUE(drain.InstallSignalHandlers().ok());
  ASSERT_EQ(raise(SIGTERM), 0);
  ASSERT_TRUE(loop->RunOnce(kPatience).ok());
  EXPECT_TRUE(drain.draining());
  EXPECT_FALSE(drain.finished());
  ASSERT_EQ(raise(SIGINT), 0);
  ASSERT_TRUE(loop->Run().ok());
  EXPECT_TRUE(drain.finished());
  EXPECT_FALSE(result.completed);
  EXPECT_EQ(result.pending, std::vector<std::string>{"stuck"});
}

}  // namespace
}  // namespace plait::runtime
