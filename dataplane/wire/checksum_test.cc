#include "dataplane/wire/checksum.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace plait::wire {
namespace {

// RFC 1071 section 3's worked example: the words 0001 f203 f4f5 f6f7 sum
// (with end-around carry) to ddf2, whose complement is 220d.
TEST(InternetChecksumTest, Rfc1071Example) {
  const std::vector<uint8_t> data = {0x00, 0x01, 0xf2, 0x03,
                                     0xf4, 0xf5, 0xf6, 0xf7};
  InternetChecksum sum;
  sum.Add(data);
  EXPECT_EQ(sum.Finish(), 0x220d);
}

TEST(InternetChecksumTest, SplitAtOddBoundaryEqualsWhole) {
  std::vector<uint8_t> data(101);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 37 + 11);
  InternetChecksum whole;
  whole.Add(data);
  for (size_t cut = 0; cut <= data.size(); ++cut) {
    InternetChecksum parts;
    parts.Add(absl::MakeConstSpan(data).subspan(0, cut));
    parts.Add(absl::MakeConstSpan(data).subspan(cut));
    EXPECT_EQ(parts.Finish(), whole.Finish()) << "cut at " << cut;
  }
}

TEST(InternetChecksumTest, BufferWithItsChecksumVerifiesToZero) {
  std::vector<uint8_t> data = {0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40,
                               0x00, 0x40, 0x06, 0x00, 0x00, 0xac, 0x10,
                               0x0a, 0x63, 0xac, 0x10, 0x0a, 0x0c};
  InternetChecksum sum;
  sum.Add(data);
  const uint16_t c = sum.Finish();
  // The classic IPv4 header example: checksum b1e6.
  EXPECT_EQ(c, 0xb1e6);
  data[10] = uint8_t(c >> 8);
  data[11] = uint8_t(c);
  InternetChecksum verify;
  verify.Add(data);
  EXPECT_EQ(verify.Finish(), 0);
}

TEST(InternetChecksumTest, IntegerHelpersMatchBytes) {
  InternetChecksum a;
  a.AddU64(0x0102030405060708);
  a.AddU32(0x090a0b0c);
  a.AddU16(0x0d0e);
  InternetChecksum b;
  const std::vector<uint8_t> bytes = {1, 2, 3,  4,  5,  6,  7,
                                      8, 9, 10, 11, 12, 13, 14};
  b.Add(bytes);
  EXPECT_EQ(a.Finish(), b.Finish());
}

// The word-at-a-time sum against the definition: 16-bit big-endian words,
// end-around carry, for every length and split.
TEST(InternetChecksumTest, MatchesTheDefinitionForRandomData) {
  uint32_t x = 7;
  for (size_t length = 0; length < 300; ++length) {
    std::vector<uint8_t> data(length);
    for (auto& b : data) {
      x = x * 1664525 + 1013904223;
      b = static_cast<uint8_t>(x >> 24);
    }
    uint32_t reference = 0;
    for (size_t i = 0; i < length; i += 2) {
      reference +=
          (uint32_t{data[i]} << 8) | (i + 1 < length ? data[i + 1] : 0);
      reference = (reference & 0xffff) + (reference >> 16);
    }
    const uint16_t expected = static_cast<uint16_t>(~reference);
    InternetChecksum whole;
    whole.Add(data);
    ASSERT_EQ(whole.Finish(), expected) << "length " << length;
    const size_t cut = length / 3;
    InternetChecksum parts;
    parts.Add(absl::MakeConstSpan(data).subspan(0, cut));
    parts.AddU16(0);  // zero words change nothing
    parts.Add(absl::MakeConstSpan(data).subspan(cut));
    if (cut % 2 == 0) {
      ASSERT_EQ(parts.Finish(), expected) << "length " << length;
    }
  }
}

TEST(InternetChecksumTest, EmptyIsAllOnes) {
  InternetChecksum sum;
  EXPECT_EQ(sum.Finish(), 0xffff);
}

}  // namespace
}  // namespace plait::wire
