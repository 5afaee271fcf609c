#include "dataplane/tcp/interval_set.h"

#include <cstdint>
#include <ostream>
#include <random>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace plait::tcp {

// Lets gtest print ranges (found by ADL).
void PrintTo(const Range& r, std::ostream* os) {
  *os << "[" << r.begin << "," << r.end << ")";
}

namespace {

std::vector<Range> RangesOf(const IntervalSet& s) {
  return std::vector<Range>(s.begin(), s.end());
}

TEST(IntervalSetTest, EmptySet) {
  IntervalSet s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.total_bytes(), 0u);
  EXPECT_FALSE(s.Contains(0));
  EXPECT_TRUE(s.Covers(5, 5));
  EXPECT_FALSE(s.Covers(5, 6));
  EXPECT_EQ(s.FirstGapAfter(9), 9u);
  EXPECT_EQ(s.Find(0), s.end());
  EXPECT_EQ(s.ToString(), "{}");
}

TEST(IntervalSetTest, AddKeepsSortedAndReportsNewBytes) {
  IntervalSet s;
  EXPECT_EQ(s.Add(20, 30), 10u);
  EXPECT_EQ(s.Add(0, 5), 5u);
  EXPECT_EQ(s.Add(40, 41), 1u);
  EXPECT_EQ(s.Add(7, 7), 0u);  // empty
  EXPECT_EQ(s.Add(9, 8), 0u);  // inverted
  EXPECT_EQ(RangesOf(s), (std::vector<Range>{{0, 5}, {20, 30}, {40, 41}}));
  EXPECT_EQ(s.total_bytes(), 16u);
  EXPECT_EQ(s.ToString(), "{[0,5) [20,30) [40,41)}");
}

TEST(IntervalSetTest, AddMergesOverlappingAndAdjacent) {
  IntervalSet s;
  s.Add(10, 20);
  EXPECT_EQ(s.Add(20, 25), 5u);  // adjacent on the right
  EXPECT_EQ(s.Add(5, 10), 5u);   // adjacent on the left
  EXPECT_EQ(RangesOf(s), (std::vector<Range>{{5, 25}}));
  EXPECT_EQ(s.Add(8, 12), 0u);   // inside
  EXPECT_EQ(s.Add(0, 30), 10u);  // swallows
  EXPECT_EQ(RangesOf(s), (std::vector<Range>{{0, 30}}));
  s.Add(40, 50);
  s.Add(60, 70);
  s.Add(80, 90);
  // Bridges three ranges and two gaps of 10 and part of the ends.
  EXPECT_EQ(s.Add(25, 65), 10u + 10u);
  EXPECT_EQ(RangesOf(s), (std::vector<Range>{{0, 70}, {80, 90}}));
  EXPECT_EQ(s.total_bytes(), 80u);
}

TEST(IntervalSetTest, RemoveSplitsTrimsAndDrops) {
  IntervalSet s;
  s.Add(0, 100);
  EXPECT_EQ(s.Remove(40, 60), 20u);  // split
  EXPECT_EQ(RangesOf(s), (std::vector<Range>{{0, 40}, {60, 100}}));
  EXPECT_EQ(s.Remove(40, 60), 0u);   // already a gap
  EXPECT_EQ(s.Remove(30, 70), 20u);  // trims both sides
  EXPECT_EQ(RangesOf(s), (std::vector<Range>{{0, 30}, {70, 100}}));
  EXPECT_EQ(s.Remove(0, 30), 30u);  // exact range
  EXPECT_EQ(RangesOf(s), (std::vector<Range>{{70, 100}}));
  s.Add(110, 120);
  s.Add(130, 140);
  EXPECT_EQ(s.Remove(65, 135), 30u + 10u + 5u);
  EXPECT_EQ(RangesOf(s), (std::vector<Range>{{135, 140}}));
  EXPECT_EQ(s.total_bytes(), 5u);
  EXPECT_EQ(s.Remove(10, 5), 0u);
}

TEST(IntervalSetTest, RemoveBelow) {
  IntervalSet s;
  s.Add(10, 20);
  s.Add(30, 40);
  EXPECT_EQ(s.RemoveBelow(5), 0u);
  EXPECT_EQ(s.RemoveBelow(15), 5u);
  EXPECT_EQ(RangesOf(s), (std::vector<Range>{{15, 20}, {30, 40}}));
  EXPECT_EQ(s.RemoveBelow(30), 5u);
  EXPECT_EQ(RangesOf(s), (std::vector<Range>{{30, 40}}));
  EXPECT_EQ(s.RemoveBelow(100), 10u);
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.total_bytes(), 0u);
}

TEST(IntervalSetTest, Queries) {
  IntervalSet s;
  s.Add(10, 20);
  s.Add(30, 40);
  EXPECT_FALSE(s.Contains(9));
  EXPECT_TRUE(s.Contains(10));
  EXPECT_TRUE(s.Contains(19));
  EXPECT_FALSE(s.Contains(20));
  EXPECT_TRUE(s.Covers(10, 20));
  EXPECT_TRUE(s.Covers(12, 18));
  EXPECT_FALSE(s.Covers(9, 12));
  EXPECT_FALSE(s.Covers(15, 35));
  EXPECT_FALSE(s.Covers(20, 21));
  EXPECT_EQ(s.FirstGapAfter(0), 0u);
  EXPECT_EQ(s.FirstGapAfter(10), 20u);
  EXPECT_EQ(s.FirstGapAfter(19), 20u);
  EXPECT_EQ(s.FirstGapAfter(20), 20u);
  EXPECT_EQ(s.FirstGapAfter(35), 40u);
  EXPECT_EQ(s.Find(15)->begin, 10u);
  EXPECT_EQ(s.Find(25), s.end());
  EXPECT_EQ(s.FirstEndingAfter(25)->begin, 30u);
  EXPECT_EQ(s.FirstEndingAfter(19)->begin, 10u);
  EXPECT_EQ(s.FirstEndingAfter(20)->begin, 30u);
  EXPECT_EQ(s.FirstEndingAfter(40), s.end());
  EXPECT_EQ(s.front(), (Range{10, 20}));
  EXPECT_EQ(s.back(), (Range{30, 40}));
  EXPECT_EQ(s[1], (Range{30, 40}));
}

TEST(IntervalSetTest, HighOffsets) {
  IntervalSet s;
  const uint64_t top = UINT64_MAX;
  EXPECT_EQ(s.Add(top - 10, top), 10u);
  EXPECT_TRUE(s.Contains(top - 1));
  EXPECT_FALSE(s.Contains(top));
  EXPECT_EQ(s.FirstGapAfter(top - 5), top);
  EXPECT_EQ(s.RemoveBelow(top - 2), 8u);
  EXPECT_EQ(s.total_bytes(), 2u);
}

TEST(IntervalSetTest, ManyRangesGrowBeyondInline) {
  IntervalSet s;
  for (uint64_t i = 0; i < 100; ++i) s.Add(i * 10, i * 10 + 5);
  EXPECT_EQ(s.size(), 100u);
  EXPECT_EQ(s.total_bytes(), 500u);
  EXPECT_EQ(s.Add(0, 1000), 500u);
  EXPECT_EQ(s.size(), 1u);
}

// Model: the set of offsets, one element per offset.
struct Model {
  std::set<uint64_t> bits;

  uint64_t Add(uint64_t b, uint64_t e) {
    uint64_t n = 0;
    for (uint64_t i = b; i < e; ++i) n += bits.insert(i).second ? 1 : 0;
    return n;
  }
  uint64_t Remove(uint64_t b, uint64_t e) {
    uint64_t n = 0;
    for (uint64_t i = b; i < e; ++i) n += bits.erase(i);
    return n;
  }
  std::vector<Range> Ranges() const {
    std::vector<Range> out;
    for (uint64_t i : bits) {
      if (!out.empty() && out.back().end == i) {
        ++out.back().end;
      } else {
        out.push_back({i, i + 1});
      }
    }
    return out;
  }
};

TEST(IntervalSetTest, RandomizedAgainstBitmapModel) {
  std::mt19937_64 rng(12345);
  constexpr uint64_t kSpace = 300;
  for (int round = 0; round < 200; ++round) {
    IntervalSet s;
    Model m;
    for (int op = 0; op < 200; ++op) {
      const uint64_t b = rng() % kSpace;
      const uint64_t e = b + rng() % 40;
      const int kind = static_cast<int>(rng() % 10);
      if (kind < 6) {
        ASSERT_EQ(s.Add(b, e), m.Add(b, e)) << s.ToString();
      } else if (kind < 9) {
        ASSERT_EQ(s.Remove(b, e), m.Remove(b, e)) << s.ToString();
      } else {
        ASSERT_EQ(s.RemoveBelow(b), m.Remove(0, b)) << s.ToString();
      }
      ASSERT_EQ(RangesOf(s), m.Ranges()) << s.ToString();
      ASSERT_EQ(s.total_bytes(), m.bits.size());
      // Queries at a few random points.
      for (int q = 0; q < 5; ++q) {
        const uint64_t x = rng() % (kSpace + 50);
        const uint64_t y = x + rng() % 20;
        ASSERT_EQ(s.Contains(x), m.bits.count(x) == 1) << x;
        uint64_t gap = x;
        while (m.bits.count(gap)) ++gap;
        ASSERT_EQ(s.FirstGapAfter(x), gap) << x << " " << s.ToString();
        bool covers = true;
        for (uint64_t i = x; i < y; ++i) covers = covers && m.bits.count(i);
        ASSERT_EQ(s.Covers(x, y), covers) << x << "," << y << s.ToString();
      }
    }
  }
}

}  // namespace
}  // namespace plait::tcp
