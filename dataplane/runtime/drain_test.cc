// The drain contract on a manual clock: done before the deadline, the
// deadline itself, and the awkward orders of calls.
#include "dataplane/runtime/drain.h"

#include <memory>
#include <string>
#include <vector>

#include "dataplane/base/time.h"
#include "dataplane/runtime/event_loop.h"
#include "dataplane/runtime/manual_clock.h"
#include "gtest/gtest.h"

namespace plait::runtime {
namespace {

Time At(int64_t ms) { return TimeFromEpoch(Milliseconds(ms)); }

class DrainTest : public testing::Test {
 protected:
  DrainTest() : clock_(At(0)) {
    EventLoopOptions options;
    options.clock = &clock_;
    auto loop = EventLoop::Create(options);
    EXPECT_TRUE(loop.ok()) << loop.status();
    loop_ = *std::move(loop);
  }

  DrainOptions Options(Duration deadline) {
    DrainOptions o;
    o.deadline = deadline;
    o.on_begin = [this] { log_.push_back("begin"); };
    o.on_finish = [this](const DrainResult& r) {
      ++finishes_;
      result_ = r;
    };
    return o;
  }

  void Step() { ASSERT_TRUE(loop_->RunOnce(Duration::zero()).ok()); }
  // Run() returns at once if the drain stopped the loop (its stop request is
  // pending); the manual clock makes a blocking Run() pointless otherwise.
  bool LoopWasStopped() {
    bool stopped = true;
    loop_->Post([&] { stopped = false; });
    EXPECT_TRUE(loop_->Run().ok());
    if (!stopped) return false;
    // Run the probe so that it does not outlive `stopped`.
    Step();
    return true;
  }

  ManualClock clock_;
  std::unique_ptr<EventLoop> loop_;
  std::vector<std::string> log_;
  int finishes_ = 0;
  DrainResult result_;
};

TEST_F(DrainTest, FinishesWhenEveryDrainerIsDone) {
  Drain drain(loop_.get(), Options(Seconds(30)));
  Drain::Done done_a;
  Drain::Done done_b;
  drain.AddDrainer("a", [&](Drain::Done d) {
    log_.push_back("start a");
    done_a = d;
  });
  drain.AddDrainer("b", [&](Drain::Done d) {
    log_.push_back("start b");
    done_b = d;
  });
  EXPECT_FALSE(drain.draining());
  drain.Begin();
  EXPECT_EQ(log_, (std::vector<std::string>{"begin", "start a", "start b"}));
  clock_.Set(At(700));
  done_b();
  done_b();  // twice counts once
  EXPECT_FALSE(drain.finished());
  clock_.Set(At(1200));
  done_a();
  EXPECT_TRUE(drain.finished());
  EXPECT_EQ(finishes_, 1);
  EXPECT_TRUE(result_.completed);
  EXPECT_TRUE(result_.pending.empty());
  EXPECT_EQ(result_.elapsed, Milliseconds(1200));
  EXPECT_TRUE(LoopWasStopped());
  EXPECT_EQ(loop_->timer_count(), 0u);  // the deadline timer is gone
}

TEST_F(DrainTest, DeadlineReportsThePendingDrainers) {
  Drain drain(loop_.get(), Options(Seconds(5)));
  Drain::Done late;
  drain.AddDrainer("listener", [](Drain::Done d) { d(); });
  drain.AddDrainer("connections", [&](Drain::Done d) { late = d; });
  drain.AddDrainer("api", [](Drain::Done) {});
  drain.Begin();
  clock_.Set(At(4999));
  Step();
  EXPECT_FALSE(drain.finished());
  clock_.Set(At(5000));
  Step();
  EXPECT_TRUE(drain.finished());
  EXPECT_FALSE(result_.completed);
  EXPECT_EQ(result_.pending, (std::vector<std::string>{"connections", "api"}));
  EXPECT_EQ(result_.elapsed, Seconds(5));
  late();  // after the finish: ignored
  EXPECT_EQ(finishes_, 1);
  EXPECT_TRUE(LoopWasStopped());
}

// Duration::max() means "no deadline": began + deadline must not overflow
// into a deadline in the past that finishes the drain at once.
TEST_F(DrainTest, DurationMaxDeadlineNeverFires) {
  clock_.Set(At(1000));
  Drain drain(loop_.get(), Options(Duration::max()));
  Drain::Done done;
  drain.AddDrainer("a", [&](Drain::Done d) { done = d; });
  drain.Begin();
  clock_.Set(At(100000));
  Step();
  EXPECT_FALSE(drain.finished());
  done();
  EXPECT_TRUE(drain.finished());
  EXPECT_TRUE(result_.completed);
  EXPECT_EQ(result_.elapsed, Milliseconds(99000));
  EXPECT_EQ(loop_->timer_count(), 0u);
}

TEST_F(DrainTest, NoDrainersOrAllSynchronousFinishesAtOnce) {
  {
    Drain drain(loop_.get(), Options(Seconds(5)));
    drain.Begin();
    EXPECT_TRUE(drain.finished());
    EXPECT_TRUE(result_.completed);
  }
  {
    Drain drain(loop_.get(), Options(Seconds(5)));
    int started = 0;
    for (int i = 0; i < 3; ++i) {
      drain.AddDrainer("sync", [&](Drain::Done d) {
        ++started;
        d();
      });
    }
    drain.Begin();
    EXPECT_EQ(started, 3);  // the first done did not cut the others off
    EXPECT_TRUE(drain.finished());
    EXPECT_TRUE(result_.completed);
  }
  EXPECT_EQ(finishes_, 2);
}

TEST_F(DrainTest, DrainerAddedWhileDrainingIsStartedAndAwaited) {
  Drain drain(loop_.get(), Options(Seconds(5)));
  Drain::Done first;
  Drain::Done second;
  int second_starts = 0;
  drain.AddDrainer("first", [&](Drain::Done d) {
    first = d;
    // A connection accepted just before the listener closed, registering
    // from inside a start function.
    drain.AddDrainer("second", [&](Drain::Done d2) {
      ++second_starts;
      second = d2;
    });
  });
  drain.Begin();
  EXPECT_EQ(second_starts, 1);
  first();
  EXPECT_FALSE(drain.finished());
  second();
  EXPECT_TRUE(drain.finished());
  EXPECT_TRUE(result_.completed);
}

TEST_F(DrainTest, BeginTwiceFinishesAtOnceAndAfterFinishIsIgnored) {
  Drain drain(loop_.get(), Options(Seconds(5)));
  drain.AddDrainer("stuck", [](Drain::Done) {});
  drain.Begin();
  EXPECT_FALSE(drain.finished());
  drain.Begin();
  EXPECT_TRUE(drain.finished());
  EXPECT_FALSE(result_.completed);
  drain.Begin();
  drain.AddDrainer("too late", [&](Drain::Done) { log_.push_back("x"); });
  EXPECT_EQ(finishes_, 1);
  EXPECT_EQ(log_, std::vector<std::string>{"begin"});
}

TEST_F(DrainTest, DoneAfterTheDrainIsGoneIsHarmless) {
  Drain::Done keep;
  {
    DrainOptions o = Options(Seconds(5));
    o.stop_loop = false;
    Drain drain(loop_.get(), o);
    drain.AddDrainer("a", [&](Drain::Done d) { keep = d; });
    drain.Begin();
  }
  keep();
  EXPECT_EQ(finishes_, 0);
  EXPECT_EQ(loop_->timer_count(), 0u);
  clock_.Set(At(10000));
  Step();  // the cancelled deadline does not fire into a dead Drain
  EXPECT_EQ(finishes_, 0);
}

TEST_F(DrainTest, RealClockDeadlineEndsRun) {
  auto loop = EventLoop::Create();
  ASSERT_TRUE(loop.ok());
  DrainResult result;
  DrainOptions o;
  o.deadline = Milliseconds(20);
  o.on_finish = [&](const DrainResult& r) { result = r; };
  Drain drain(loop->get(), o);
  drain.AddDrainer("stuck", [](Drain::Done) {});
  drain.Begin();
  ASSERT_TRUE((*loop)->Run().ok());
  EXPECT_FALSE(result.completed);
  EXPECT_GE(result.elapsed, Milliseconds(20));  // timers never run early
}

}  // namespace
}  // namespace plait::runtime
