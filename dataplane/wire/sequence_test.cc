#include "dataplane/wire/sequence.h"

#include "gtest/gtest.h"

namespace plait::wire {
namespace {

TEST(SequenceTest, SameEpochIsUnchanged) {
  EXPECT_EQ(ExpandDsn32(0x00001000, 0x0000000500000800ull),
            0x0000000500001000ull);
  EXPECT_EQ(ExpandDsn32(0x00000800, 0x0000000500001000ull),
            0x0000000500000800ull);
  EXPECT_EQ(ExpandDsn32(0x12345678, 0x0000000012345678ull),
            0x0000000012345678ull);
}

TEST(SequenceTest, ForwardWrapGoesToNextEpoch) {
  // Reference just below the 32-bit boundary, wire value just past it.
  EXPECT_EQ(ExpandDsn32(0x00000010, 0x00000005fffffff0ull),
            0x0000000600000010ull);
  EXPECT_EQ(ExpandDataAck32(0x00000000, 0x00000005ffffffffull),
            0x0000000600000000ull);
}

TEST(SequenceTest, BackwardWrapGoesToPreviousEpoch) {
  // Reference just past the boundary, a retransmitted older value before it.
  EXPECT_EQ(ExpandDsn32(0xfffffff0, 0x0000000600000010ull),
            0x00000005fffffff0ull);
  EXPECT_EQ(ExpandDataAck32(0xffffffff, 0x0000000600000000ull),
            0x00000005ffffffffull);
}

TEST(SequenceTest, FarthestReachBothWays) {
  const uint64_t ref = 0x0000000700000000ull;
  // 2^31 - 1 behind stays behind.
  EXPECT_EQ(ExpandDsn32(0x80000001, ref), ref - 0x7fffffffull);
  // Exactly 2^31 away: the tie goes forward.
  EXPECT_EQ(ExpandDsn32(0x80000000, ref), ref + 0x80000000ull);
  // 2^31 - 1 ahead.
  EXPECT_EQ(ExpandDsn32(0x7fffffff, ref), ref + 0x7fffffffull);
}

TEST(SequenceTest, WrapsModulo64Bits) {
  EXPECT_EQ(ExpandDsn32(0xfffffff0, 0x10), 0xfffffffffffffff0ull);
  EXPECT_EQ(ExpandDsn32(0x00000010, 0xfffffffffffffff0ull), 0x10ull);
}

TEST(SequenceTest, ResultAlwaysClosestOverManyPoints) {
  const uint64_t refs[] = {0,
                           1,
                           0x7fffffff,
                           0x80000000,
                           0xffffffff,
                           0x100000000ull,
                           0x123456789abcdefull,
                           0xfffffffffffffff0ull};
  const uint32_t deltas[] = {0, 1, 2, 1000, 0x7ffffffe, 0x7fffffff};
  for (uint64_t ref : refs) {
    for (uint32_t d : deltas) {
      EXPECT_EQ(ExpandDsn32(static_cast<uint32_t>(ref + d), ref), ref + d);
      EXPECT_EQ(ExpandDsn32(static_cast<uint32_t>(ref - d), ref), ref - d);
    }
  }
}

TEST(SequenceTest, ExpandDssValuePassesSixtyFourBitValues) {
  EXPECT_EQ(ExpandDssValue(0xabcdef0123456789ull, true, 0),
            0xabcdef0123456789ull);
  EXPECT_EQ(ExpandDssValue(0x10, false, 0x00000005fffffff0ull),
            0x0000000600000010ull);
}

}  // namespace
}  // namespace plait::wire
