#include "sim/random.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace plait::sim {
namespace {

TEST(SplitMix64Test, MatchesReferenceOutputs) {
  // The reference SplitMix64 (Steele, Lea, Flood) from state 0.
  uint64_t state = 0;
  EXPECT_EQ(SplitMix64(&state), 0xe220a8397b1dcdafu);
  EXPECT_EQ(SplitMix64(&state), 0x6e789e6aa1b965f4u);
  EXPECT_EQ(SplitMix64(&state), 0x06c45d188009454fu);
}

TEST(RandomTest, XoshiroMatchesReferenceOutputs) {
  // xoshiro256** (Blackman, Vigna) from the state {1, 2, 3, 4}.
  Random random = Random::FromState({1, 2, 3, 4});
  EXPECT_EQ(random.Next64(), 11520u);
  EXPECT_EQ(random.Next64(), 0u);
  EXPECT_EQ(random.Next64(), 1509978240u);
  EXPECT_EQ(random.Next64(), 1215971899390074240u);
}

TEST(RandomTest, GoldenOutputsForSeed42) {
  Random random(42);
  EXPECT_EQ(random.Next64(), 0x15780b2e0c2ec716u);
  EXPECT_EQ(random.Next64(), 0x6104d9866d113a7eu);
  EXPECT_EQ(random.Next64(), 0xae17533239e499a1u);
  EXPECT_EQ(random.UniformInt(1000), 924u);
  EXPECT_EQ(random.UniformDouble(), 0x1.fbcdb8ffc5d8bp-1);
  EXPECT_EQ(random.UniformInRange(-5, 5), 3);
}

TEST(RandomTest, SameSeedSameSequenceDifferentSeedDifferent) {
  Random a(7), b(7), c(8);
  bool any_difference = false;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.Next64();
    EXPECT_EQ(x, b.Next64());
    any_difference |= x != c.Next64();
  }
  EXPECT_TRUE(any_difference);
}

TEST(RandomTest, ForkDependsOnlyOnSeedAndStreamId) {
  Random parent(99);
  Random before = parent.Fork(3);
  for (int i = 0; i < 10; ++i) parent.Next64();
  Random after = parent.Fork(3);
  Random other = parent.Fork(4);
  EXPECT_EQ(before.seed(), after.seed());
  EXPECT_NE(before.seed(), other.seed());
  EXPECT_NE(before.seed(), parent.seed());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(before.Next64(), after.Next64());
  // Forking did not advance the parent.
  Random fresh(99);
  for (int i = 0; i < 10; ++i) fresh.Next64();
  EXPECT_EQ(fresh.Next64(), parent.Next64());
}

TEST(RandomTest, ForkedStreamsAreUncorrelated) {
  Random a = Random(5).Fork(1);
  Random b = Random(5).Fork(2);
  int same_bits = 0;
  const int n = 1000;
  for (int i = 0; i < n; ++i) {
    same_bits += 64 - __builtin_popcountll(a.Next64() ^ b.Next64());
  }
  // Expect half of 64000 bits to agree; 5 sigma is about 632.
  EXPECT_NEAR(same_bits, 32000, 632);
}

TEST(RandomTest, UniformIntStaysInRangeAndCoversIt) {
  Random random(1);
  std::vector<int> counts(10, 0);
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    const uint64_t v = random.UniformInt(10);
    ASSERT_LT(v, 10u);
    ++counts[v];
  }
  for (int c : counts) EXPECT_NEAR(c, n / 10, 500);  // ~5 sigma
  EXPECT_EQ(random.UniformInt(0), 0u);
  EXPECT_EQ(random.UniformInt(1), 0u);
}

TEST(RandomTest, UniformInRangeIsInclusive) {
  Random random(2);
  bool saw_lo = false, saw_hi = false;
  for (int i = 0; i < 1000; ++i) {
    const int64_t v = random.UniformInRange(-2, 2);
    ASSERT_GE(v, -2);
    ASSERT_LE(v, 2);
    saw_lo |= v == -2;
    saw_hi |= v == 2;
  }
  EXPECT_TRUE(saw_lo);
  EXPECT_TRUE(saw_hi);
  EXPECT_EQ(random.UniformInRange(3, 3), 3);
  EXPECT_EQ(random.UniformInRange(4, 1), 4);
}

TEST(RandomTest, UniformDoubleMoments) {
  Random random(3);
  const int n = 100000;
  double sum = 0, sum_sq = 0;
  for (int i = 0; i < n; ++i) {
    const double u = random.UniformDouble();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    sum_sq += u * u;
  }
  EXPECT_NEAR(sum / n, 0.5, 0.005);
  EXPECT_NEAR(sum_sq / n - (sum / n) * (sum / n), 1.0 / 12, 0.002);
}

TEST(RandomTest, BernoulliRateAndEdges) {
  Random random(4);
  int hits = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) hits += random.Bernoulli(0.1);
  EXPECT_NEAR(hits, 10000, 500);  // sigma ~95
  // p <= 0 and p >= 1 do not draw: the stream is unchanged.
  Random a(4), b(4);
  EXPECT_FALSE(a.Bernoulli(0));
  EXPECT_TRUE(a.Bernoulli(1));
  EXPECT_EQ(a.Next64(), b.Next64());
}

TEST(RandomTest, ExponentialMean) {
  Random random(5);
  const int n = 100000;
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    const double x = random.Exponential(2.0);
    ASSERT_GE(x, 0.0);
    sum += x;
  }
  EXPECT_NEAR(sum / n, 2.0, 0.04);  // sigma of the mean ~0.0063
}

TEST(RandomTest, NormalMoments) {
  Random random(6);
  const int n = 100000;
  double sum = 0, sum_sq = 0;
  for (int i = 0; i < n; ++i) {
    const double x = random.Normal(10.0, 3.0);
    sum += x;
    sum_sq += x * x;
  }
  const double mean = sum / n;
  EXPECT_NEAR(mean, 10.0, 0.05);  // sigma ~0.0095
  EXPECT_NEAR(std::sqrt(sum_sq / n - mean * mean), 3.0, 0.03);
}

}  // namespace
}  // namespace plait::sim
