#include "dataplane/tcp/receive_buffer.h"

#include <algorithm>
#include <cstdint>
#include <ostream>
#include <random>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "gtest/gtest.h"

namespace plait::tcp {

void PrintTo(const Range& r, std::ostream* os) {
  *os << "[" << r.begin << "," << r.end << ")";
}

namespace {

// Stream byte at offset i.
uint8_t At(uint64_t i) { return static_cast<uint8_t>(i * 7 + (i >> 8)); }

std::vector<uint8_t> Stream(uint64_t begin, uint64_t end) {
  std::vector<uint8_t> v;
  for (uint64_t i = begin; i < end; ++i) v.push_back(At(i));
  return v;
}

ReceiveBuffer::InsertResult InsertStream(ReceiveBuffer& b, uint64_t begin,
                                         uint64_t end) {
  const std::vector<uint8_t> data = Stream(begin, end);
  return b.Insert(begin, data);
}

std::vector<uint8_t> ReadAll(ReceiveBuffer& b) {
  std::vector<uint8_t> out(b.capacity() + 1);
  const size_t n = b.Read(absl::MakeSpan(out));
  out.resize(n);
  return out;
}

std::vector<Range> Sack(const ReceiveBuffer& b, uint64_t recent,
                        size_t max = 4) {
  std::vector<Range> out(max);
  out.resize(b.SackBlocks(recent, absl::MakeSpan(out)));
  return out;
}

TEST(ReceiveBufferTest, InOrder) {
  ReceiveBuffer b(100);
  EXPECT_EQ(b.window(), 100u);
  EXPECT_EQ(b.window_end(), 100u);
  const auto r = InsertStream(b, 0, 30);
  EXPECT_EQ(r.bytes_added, 30u);
  EXPECT_TRUE(r.advanced);
  EXPECT_EQ(r.bytes_duplicate, 0u);
  EXPECT_EQ(r.bytes_beyond_window, 0u);
  EXPECT_EQ(b.contiguous_end(), 30u);
  EXPECT_EQ(b.readable(), 30u);
  EXPECT_EQ(b.window(), 70u);
  EXPECT_EQ(ReadAll(b), Stream(0, 30));
  EXPECT_EQ(b.read_offset(), 30u);
  EXPECT_EQ(b.window(), 100u);
  EXPECT_EQ(b.window_end(), 130u);
  EXPECT_TRUE(b.ranges().empty());
}

TEST(ReceiveBufferTest, OutOfOrderThenFill) {
  ReceiveBuffer b(100);
  auto r = InsertStream(b, 20, 30);
  EXPECT_EQ(r.bytes_added, 10u);
  EXPECT_FALSE(r.advanced);
  EXPECT_EQ(b.contiguous_end(), 0u);
  EXPECT_EQ(b.readable(), 0u);
  EXPECT_EQ(b.out_of_order_bytes(), 10u);
  EXPECT_EQ(b.bytes_held(), 10u);
  EXPECT_TRUE(b.has_out_of_order());
  // Out-of-order bytes do not shrink the advertised window.
  EXPECT_EQ(b.window(), 100u);
  EXPECT_EQ(ReadAll(b), std::vector<uint8_t>{});

  r = InsertStream(b, 0, 20);
  EXPECT_EQ(r.bytes_added, 20u);
  EXPECT_TRUE(r.advanced);
  EXPECT_EQ(b.contiguous_end(), 30u);
  EXPECT_EQ(b.window(), 70u);
  EXPECT_FALSE(b.has_out_of_order());
  EXPECT_EQ(ReadAll(b), Stream(0, 30));
}

TEST(ReceiveBufferTest, TrimsOldDuplicateAndBeyondWindow) {
  ReceiveBuffer b(50);
  InsertStream(b, 0, 10);
  ASSERT_EQ(ReadAll(b).size(), 10u);  // read_offset 10, window_end 60
  InsertStream(b, 10, 20);
  // [5, 70): 5 below read_offset, 10 held, 40 new, 10 beyond window_end.
  const auto r = InsertStream(b, 5, 70);
  EXPECT_EQ(r.bytes_added, 40u);
  EXPECT_TRUE(r.advanced);
  EXPECT_EQ(r.bytes_duplicate, 15u);
  EXPECT_EQ(r.bytes_beyond_window, 10u);
  EXPECT_EQ(b.contiguous_end(), 60u);
  EXPECT_EQ(b.window(), 0u);
  // Entirely old.
  const auto old = InsertStream(b, 0, 8);
  EXPECT_EQ(old.bytes_added, 0u);
  EXPECT_FALSE(old.advanced);
  EXPECT_EQ(old.bytes_duplicate, 8u);
  // Entirely beyond the window.
  const auto far = InsertStream(b, 60, 65);
  EXPECT_EQ(far.bytes_added, 0u);
  EXPECT_EQ(far.bytes_beyond_window, 5u);
  EXPECT_EQ(far.bytes_duplicate, 0u);
  EXPECT_EQ(ReadAll(b), Stream(10, 60));
}

TEST(ReceiveBufferTest, HeldBytesAreNotOverwritten) {
  ReceiveBuffer b(20);
  const std::vector<uint8_t> first = {1, 2, 3, 4};
  b.Insert(2, first);
  const std::vector<uint8_t> second = {9, 9, 9, 9, 9, 9, 9, 9};
  const auto r = b.Insert(0, second);  // overlaps [2, 6)
  EXPECT_EQ(r.bytes_added, 4u);
  EXPECT_EQ(r.bytes_duplicate, 4u);
  EXPECT_EQ(ReadAll(b), (std::vector<uint8_t>{9, 9, 1, 2, 3, 4, 9, 9}));
}

TEST(ReceiveBufferTest, PeekContiguousAndConsumeAcrossWrap) {
  ReceiveBuffer b(10);
  InsertStream(b, 0, 8);
  ASSERT_EQ(b.Consume(6), 6u);  // head at index 6
  InsertStream(b, 8, 16);       // indices 8, 9, 0..5
  absl::Span<const uint8_t> v[2];
  ASSERT_EQ(b.PeekContiguous(v), 10u);
  EXPECT_EQ(v[0].size(), 4u);
  EXPECT_EQ(v[1].size(), 6u);
  std::vector<uint8_t> joined(v[0].begin(), v[0].end());
  joined.insert(joined.end(), v[1].begin(), v[1].end());
  EXPECT_EQ(joined, Stream(6, 16));
  EXPECT_EQ(b.Consume(100), 10u);  // clamped
  EXPECT_EQ(b.PeekContiguous(v), 0u);
  EXPECT_EQ(b.read_offset(), 16u);
}

TEST(ReceiveBufferTest, ReadIntoSmallBuffer) {
  ReceiveBuffer b(10);
  InsertStream(b, 0, 9);
  uint8_t out[4];
  EXPECT_EQ(b.Read(absl::MakeSpan(out)), 4u);
  EXPECT_EQ(std::vector<uint8_t>(out, out + 4), Stream(0, 4));
  EXPECT_EQ(b.Read(absl::MakeSpan(out)), 4u);
  EXPECT_EQ(std::vector<uint8_t>(out, out + 4), Stream(4, 8));
  EXPECT_EQ(b.Read(absl::MakeSpan(out)), 1u);
  EXPECT_EQ(b.Read(absl::MakeSpan(out)), 0u);
}

TEST(ReceiveBufferTest, SackBlocksOrder) {
  ReceiveBuffer b(1000, /*initial_offset=*/100);
  InsertStream(b, 100, 110);  // contiguous: never a SACK block
  EXPECT_TRUE(Sack(b, 100).empty());
  InsertStream(b, 200, 210);
  InsertStream(b, 300, 310);
  InsertStream(b, 400, 410);
  InsertStream(b, 500, 510);
  InsertStream(b, 600, 610);
  // The triggering segment first, then the most recent others.
  EXPECT_EQ(Sack(b, 300), (std::vector<Range>{
                              {300, 310}, {600, 610}, {500, 510}, {400, 410}}));
  EXPECT_EQ(Sack(b, 600, 3),
            (std::vector<Range>{{600, 610}, {500, 510}, {400, 410}}));
  // Growing a block by an adjacent segment reports the whole block first.
  InsertStream(b, 210, 220);
  EXPECT_EQ(Sack(b, 210, 2), (std::vector<Range>{{200, 220}, {600, 610}}));
  // A triggering offset that is in order (or unknown) adds no block of its
  // own: recent blocks come first, then ascending order fills the rest.
  EXPECT_EQ(Sack(b, 105, 5),
            (std::vector<Range>{
                {200, 220}, {600, 610}, {500, 510}, {400, 410}, {300, 310}}));
  std::vector<Range> none;
  EXPECT_EQ(b.SackBlocks(200, absl::MakeSpan(none)), 0u);
  // Filling the first hole merges [100, 220) into the contiguous part.
  InsertStream(b, 110, 200);
  EXPECT_EQ(b.contiguous_end(), 220u);
  EXPECT_EQ(
      Sack(b, 110, 4),
      (std::vector<Range>{{600, 610}, {500, 510}, {400, 410}, {300, 310}}));
}

TEST(ReceiveBufferTest, SackBlocksFillFromAscendingWhenHistoryIsShort) {
  ReceiveBuffer b(1000);
  for (uint64_t s = 100; s < 800; s += 100) InsertStream(b, s, s + 10);
  // History holds the last 4 (700, 600, 500, 400); 100..300 follow in order.
  EXPECT_EQ(Sack(b, 700, 7), (std::vector<Range>{{700, 710},
                                                 {600, 610},
                                                 {500, 510},
                                                 {400, 410},
                                                 {100, 110},
                                                 {200, 210},
                                                 {300, 310}}));
}

TEST(ReceiveBufferTest, ZeroCapacityAcceptsNothing) {
  ReceiveBuffer b(0);
  const auto r = InsertStream(b, 0, 5);
  EXPECT_EQ(r.bytes_added, 0u);
  EXPECT_EQ(r.bytes_beyond_window, 5u);
  EXPECT_EQ(b.window(), 0u);
}

// A byte stream cut into random segments, duplicated and reordered, and read
// with random sizes, must come out exactly as sent.
TEST(ReceiveBufferTest, RandomizedReassembly) {
  std::mt19937_64 rng(2024);
  for (int round = 0; round < 60; ++round) {
    const size_t capacity = 1 + rng() % 3000;
    const uint64_t start = (round % 3 == 0) ? 0 : rng() >> 20;
    const uint64_t total = 20000;
    ReceiveBuffer b(capacity, start);
    std::vector<uint8_t> received;
    // Sender: resends everything not yet acknowledged (contiguous_end) in
    // random segments within a window, shuffled, with duplicates and some
    // segments beyond the window.
    while (received.size() < total) {
      const uint64_t base = b.contiguous_end();
      const uint64_t limit =
          std::min(start + total, base + capacity + capacity / 4 + 1);
      std::vector<std::pair<uint64_t, uint64_t>> segs;
      for (uint64_t s = base; s < limit;) {
        const uint64_t len = 1 + rng() % 700;
        const uint64_t e = std::min(limit, s + len);
        segs.emplace_back(s, e);
        if (rng() % 4 == 0) segs.emplace_back(s, e);  // duplicate
        if (rng() % 4 == 0 && s > 10) segs.emplace_back(s - 10, e);  // overlap
        s = e;
      }
      std::shuffle(segs.begin(), segs.end(), rng);
      // Lose some.
      for (const auto& [s, e] : segs) {
        if (rng() % 5 == 0) continue;
        const uint64_t before_held = b.bytes_held();
        const uint64_t before_edge = b.contiguous_end();
        const auto r = InsertStream(b, s, e);
        ASSERT_EQ(b.bytes_held(), before_held + r.bytes_added);
        ASSERT_EQ(r.advanced, b.contiguous_end() > before_edge);
        ASSERT_EQ(r.bytes_added + r.bytes_duplicate + r.bytes_beyond_window,
                  e - s);
        ASSERT_LE(b.bytes_held(), capacity);
        ASSERT_EQ(b.contiguous_end() + b.window(), b.window_end());
        // SACK blocks lie above the edge, are disjoint, held and maximal.
        std::vector<Range> blocks = Sack(b, s, 4);
        for (const Range& blk : blocks) {
          ASSERT_GT(blk.begin, b.contiguous_end());
          ASSERT_NE(b.ranges().Find(blk.begin), b.ranges().end());
          ASSERT_EQ(*b.ranges().Find(blk.begin), blk);
        }
        if (rng() % 3 == 0) {
          std::vector<uint8_t> out(rng() % 800);
          const size_t n = b.Read(absl::MakeSpan(out));
          received.insert(received.end(), out.begin(), out.begin() + n);
        }
      }
      std::vector<uint8_t> out(capacity);
      const size_t n = b.Read(absl::MakeSpan(out));
      received.insert(received.end(), out.begin(), out.begin() + n);
    }
    ASSERT_EQ(received.size(), total);
    ASSERT_EQ(received, Stream(start, start + total)) << "round " << round;
  }
}

}  // namespace
}  // namespace plait::tcp
