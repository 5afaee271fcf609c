#include "sim/codel.h"

#include <cstdint>
#include <deque>
#include <vector>

#include "gtest/gtest.h"

namespace plait::sim {
namespace {

Time Ms(int64_t ms) { return TimeFromEpoch(Milliseconds(ms)); }
Time Ns(int64_t ns) { return TimeFromEpoch(Nanoseconds(ns)); }

// A queue of packets with enqueue times, driven by hand. CoDel only sees
// what pop() reports, so tests set up whatever queue a dequeue should see.
class FakeQueue {
 public:
  struct Entry {
    Time enqueued_at;
    size_t bytes;
  };

  void Push(Time enqueued_at, size_t bytes) {
    entries_.push_back({enqueued_at, bytes});
    total_ += bytes;
  }
  void Clear() {
    entries_.clear();
    total_ = 0;
  }
  size_t size() const { return entries_.size(); }

  // One CoDel dequeue at `now`; records drops and returns whether a packet
  // is sent.
  bool Dequeue(CoDel& codel, Time now) {
    return codel.Dequeue(
        now,
        [&]() -> std::optional<CoDel::Popped> {
          if (entries_.empty()) return std::nullopt;
          const Entry e = entries_.front();
          entries_.pop_front();
          total_ -= e.bytes;
          return CoDel::Popped{e.enqueued_at, total_};
        },
        [&] { drop_times.push_back(now); });
  }

  std::vector<Time> drop_times;

 private:
  std::deque<Entry> entries_;
  size_t total_ = 0;
};

// Dequeues once per millisecond in [from_ms, to_ms), each time from a
// standing queue of ten 1000-byte packets that have waited `sojourn_ms`.
void Standing(CoDel& codel, FakeQueue& queue, int64_t from_ms, int64_t to_ms,
              int64_t sojourn_ms) {
  for (int64_t t = from_ms; t < to_ms; ++t) {
    queue.Clear();
    for (int i = 0; i < 10; ++i) queue.Push(Ms(t - sojourn_ms), 1000);
    ASSERT_TRUE(queue.Dequeue(codel, Ms(t)));
  }
}

TEST(CoDelTest, ControlLaw) {
  const Duration interval = Milliseconds(100);
  EXPECT_EQ(CoDel::ControlLaw(Ms(0), interval, 1), Ms(100));
  EXPECT_EQ(CoDel::ControlLaw(Ms(0), interval, 2), Ns(70'710'678));
  EXPECT_EQ(CoDel::ControlLaw(Ms(0), interval, 3), Ns(57'735'026));
  EXPECT_EQ(CoDel::ControlLaw(Ms(0), interval, 4), Ms(50));
  EXPECT_EQ(CoDel::ControlLaw(Ms(1), interval, 100), Ms(11));
}

TEST(CoDelTest, EmptyQueueSendsNothing) {
  CoDel codel;
  FakeQueue queue;
  EXPECT_FALSE(queue.Dequeue(codel, Ms(0)));
  EXPECT_FALSE(codel.dropping());
}

TEST(CoDelTest, StandingQueueDropsAtControlLawTimes) {
  CoDel codel;
  FakeQueue queue;
  // Above target from t=0, so the first drop is one interval later; then
  // drops follow interval / sqrt(count), each at the first dequeue at or
  // after drop_next.
  Standing(codel, queue, 0, 400, 10);
  EXPECT_EQ(queue.drop_times,
            (std::vector<Time>{Ms(100), Ms(200), Ms(271), Ms(329), Ms(379)}));
  EXPECT_TRUE(codel.dropping());
  EXPECT_EQ(codel.count(), 5u);
  // 200 ms + 100/sqrt(2) + 100/sqrt(3) + 100/sqrt(4) + 100/sqrt(5) ms.
  EXPECT_EQ(codel.drop_next(), Ns(423'167'063));
  EXPECT_EQ(codel.drops(), 5u);
}

TEST(CoDelTest, ShortBurstIsNotDropped) {
  CoDel codel;
  FakeQueue queue;
  // 20 packets arrive at once and drain at one per millisecond: the sojourn
  // time reaches 19 ms but stays above target for less than an interval.
  for (int i = 0; i < 20; ++i) queue.Push(Ms(0), 1000);
  for (int t = 0; t < 20; ++t) ASSERT_TRUE(queue.Dequeue(codel, Ms(t)));
  EXPECT_FALSE(queue.Dequeue(codel, Ms(20)));
  EXPECT_TRUE(queue.drop_times.empty());
  EXPECT_FALSE(codel.dropping());
}

TEST(CoDelTest, OnePacketBehindIsNeverAStandingQueue) {
  CoDel codel;
  FakeQueue queue;
  // A large sojourn time but at most max_packet_bytes (1500) left behind.
  for (int t = 0; t < 500; ++t) {
    queue.Clear();
    queue.Push(Ms(t - 50), 1000);
    queue.Push(Ms(t - 50), 1500);
    ASSERT_TRUE(queue.Dequeue(codel, Ms(t)));
  }
  EXPECT_TRUE(queue.drop_times.empty());
}

TEST(CoDelTest, GoingBelowTargetLeavesDroppingState) {
  CoDel codel;
  FakeQueue queue;
  Standing(codel, queue, 0, 250, 10);
  ASSERT_TRUE(codel.dropping());
  Standing(codel, queue, 250, 251, 1);  // below target
  EXPECT_FALSE(codel.dropping());
  // Above target again: a whole interval must pass before the next drop.
  Standing(codel, queue, 251, 351, 10);
  EXPECT_EQ(queue.drop_times, (std::vector<Time>{Ms(100), Ms(200)}));
  Standing(codel, queue, 351, 352, 10);
  EXPECT_EQ(queue.drop_times.back(), Ms(351));
}

TEST(CoDelTest, ReentryResumesCountOnlyWithinSixteenIntervals) {
  CoDel codel;
  FakeQueue queue;
  Standing(codel, queue, 0, 400, 10);  // count reaches 5, lastcount 1
  Standing(codel, queue, 400, 401, 0);
  ASSERT_FALSE(codel.dropping());

  // Back above target soon after: count resumes at 5 - 1 = 4.
  Standing(codel, queue, 401, 502, 10);
  EXPECT_EQ(queue.drop_times.back(), Ms(501));
  EXPECT_EQ(codel.count(), 4u);
  EXPECT_EQ(codel.drop_next(), Ms(551));  // 501 + 100 / sqrt(4)
  Standing(codel, queue, 502, 700, 10);
  EXPECT_EQ(queue.drop_times,
            (std::vector<Time>{Ms(100), Ms(200), Ms(271), Ms(329), Ms(379),
                               Ms(501), Ms(551), Ms(596), Ms(637), Ms(675)}));
  EXPECT_EQ(codel.count(), 8u);
  EXPECT_EQ(codel.drop_next(), Ns(709'697'974));
  Standing(codel, queue, 700, 701, 0);
  ASSERT_FALSE(codel.dropping());

  // Above target again more than 16 intervals after the last drop_next:
  // count restarts at 1 although the last cycle dropped 4 (8 - 4) packets.
  Standing(codel, queue, 2400, 2501, 10);
  EXPECT_EQ(queue.drop_times.back(), Ms(2500));
  EXPECT_EQ(codel.count(), 1u);
  EXPECT_EQ(codel.drop_next(), Ms(2600));
}

TEST(CoDelTest, SparseDequeuesDropSeveralAtOnce) {
  CoDel codel;
  FakeQueue queue;
  Standing(codel, queue, 0, 201, 10);  // drops at 100 and 200, count 2
  ASSERT_EQ(codel.count(), 2u);
  // The next dequeue comes late, after two drop times have passed
  // (270.71 ms and 328.45 ms): both drops happen now, and the packet after
  // them is sent.
  queue.Clear();
  for (int i = 0; i < 10; ++i) queue.Push(Ms(300), 1000);
  ASSERT_TRUE(queue.Dequeue(codel, Ms(340)));
  EXPECT_EQ(queue.drop_times,
            (std::vector<Time>{Ms(100), Ms(200), Ms(340), Ms(340)}));
  EXPECT_EQ(codel.count(), 4u);
  EXPECT_EQ(queue.size(), 7u);
  EXPECT_EQ(codel.drop_next(), Ns(378'445'704));
}

}  // namespace
}  // namespace plait::sim
