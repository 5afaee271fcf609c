#include "dataplane/tcp/seq.h"

#include <cstdint>
#include <random>

#include "gtest/gtest.h"

namespace plait::tcp {
namespace {

constexpr uint64_t k2To32 = uint64_t{1} << 32;

TEST(SeqTest, DiffAcrossWrap) {
  EXPECT_EQ(SeqDiff(1, 0xffffffff), 2);
  EXPECT_EQ(SeqDiff(0xffffffff, 1), -2);
  EXPECT_EQ(SeqDiff(5, 5), 0);
  EXPECT_EQ(SeqDiff(0x7fffffff, 0), INT32_MAX);
  EXPECT_EQ(SeqDiff(0x80000000, 0), INT32_MIN);
}

TEST(SeqTest, ComparisonsAcrossWrap) {
  EXPECT_TRUE(SeqLt(0xfffffff0, 0x10));
  EXPECT_TRUE(SeqLeq(0xfffffff0, 0x10));
  EXPECT_FALSE(SeqGt(0xfffffff0, 0x10));
  EXPECT_FALSE(SeqGeq(0xfffffff0, 0x10));
  EXPECT_TRUE(SeqGt(0x10, 0xfffffff0));
  EXPECT_TRUE(SeqGeq(0x10, 0xfffffff0));
  EXPECT_FALSE(SeqLt(0x10, 0xfffffff0));

  EXPECT_TRUE(SeqLeq(7, 7));
  EXPECT_TRUE(SeqGeq(7, 7));
  EXPECT_FALSE(SeqLt(7, 7));
  EXPECT_FALSE(SeqGt(7, 7));

  // Within 2^31 - 1 in either direction.
  EXPECT_TRUE(SeqLt(0, 0x7fffffff));
  EXPECT_TRUE(SeqGt(0, 0x80000001));
  // Exactly 2^31 apart: "less" both ways, like Linux's before().
  EXPECT_TRUE(SeqLt(0, 0x80000000));
  EXPECT_TRUE(SeqLt(0x80000000, 0));
  EXPECT_FALSE(SeqGt(0, 0x80000000));
  EXPECT_FALSE(SeqGt(0x80000000, 0));
}

TEST(SeqTest, WrapIsIsnPlusOnePlusOffset) {
  EXPECT_EQ(Wrap(0, 1000), 1001u);
  EXPECT_EQ(Wrap(5, 0xfffffffe), 4u);  // 0xfffffffe + 1 + 5 = 2^32 + 4
  EXPECT_EQ(Wrap(k2To32 + 7, 10), 18u);
}

TEST(SeqTest, UnwrapNearReference) {
  const uint32_t isn = 1000;
  EXPECT_EQ(Unwrap(1001, 0, isn), 0u);
  EXPECT_EQ(Unwrap(1011, 0, isn), 10u);
  EXPECT_EQ(Unwrap(1011, 20, isn), 10u);
  // Many wraps in: reference 3 * 2^32 + 5.
  const uint64_t ref = 3 * k2To32 + 5;
  EXPECT_EQ(Unwrap(Wrap(ref + 100, isn), ref, isn), ref + 100);
  EXPECT_EQ(Unwrap(Wrap(ref - 100, isn), ref, isn), ref - 100);
}

TEST(SeqTest, UnwrapAcrossWireWrap) {
  // ISN near 2^32: the wire number wraps while offsets keep growing.
  const uint32_t isn = 0xfffffff0;
  EXPECT_EQ(Unwrap(0xfffffff1, 0, isn), 0u);
  EXPECT_EQ(Unwrap(0xffffffff, 0, isn), 14u);
  EXPECT_EQ(Unwrap(0x00000000, 14, isn), 15u);
  EXPECT_EQ(Unwrap(0x00000010, 14, isn), 31u);
  // Offset wrap: reference just below 2^32, segment just past it.
  EXPECT_EQ(Unwrap(Wrap(k2To32 + 3, isn), k2To32 - 3, isn), k2To32 + 3);
  EXPECT_EQ(Unwrap(Wrap(k2To32 - 3, isn), k2To32 + 3, isn), k2To32 - 3);
}

TEST(SeqTest, UnwrapHalfSpaceBoundaries) {
  const uint32_t isn = 77;
  const uint64_t ref = 5 * k2To32;
  // Up to 2^31 - 1 ahead and 2^31 behind map to the nearest.
  EXPECT_EQ(Unwrap(Wrap(ref + 0x7fffffff, isn), ref, isn), ref + 0x7fffffff);
  EXPECT_EQ(Unwrap(Wrap(ref - 0x80000000, isn), ref, isn), ref - 0x80000000);
  // 2^31 ahead is taken as 2^31 behind.
  EXPECT_EQ(Unwrap(Wrap(ref + 0x80000000, isn), ref, isn), ref - 0x80000000);
}

TEST(SeqTest, UnwrapNeverNegative) {
  const uint32_t isn = 500;
  // The SYN's own number (offset -1) with reference 0 maps 2^32 higher.
  EXPECT_EQ(Unwrap(isn, 0, isn), k2To32 - 1);
  EXPECT_EQ(Unwrap(isn - 9, 3, isn), k2To32 - 10 + 0);  // offset -10
  // Not clamped once the reference is far enough from 0.
  EXPECT_EQ(Unwrap(isn, k2To32, isn), k2To32 - 1);
  EXPECT_EQ(Unwrap(Wrap(0, isn), 0x7fffffff, isn), 0u);
}

TEST(SeqTest, UnwrapRoundTripRandom) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 100000; ++i) {
    const uint32_t isn = static_cast<uint32_t>(rng());
    const uint64_t ref = rng() >> 4;
    const int64_t delta =
        static_cast<int64_t>(rng() % k2To32) - int64_t{0x80000000};
    const uint64_t offset = ref + static_cast<uint64_t>(delta);
    ASSERT_EQ(Unwrap(Wrap(offset, isn), ref, isn), offset)
        << "isn=" << isn << " ref=" << ref << " delta=" << delta;
  }
}

}  // namespace
}  // namespace plait::tcp
