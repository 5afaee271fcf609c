#include "dataplane/wire/byte_io.h"

#include <array>
#include <cstdint>

#include "gtest/gtest.h"

namespace plait::wire {
namespace {

TEST(ByteReaderTest, ReadsBigEndianAndStopsAtTheEnd) {
  const std::array<uint8_t, 7> data = {0x01, 0x02, 0x03, 0x04,
                                       0x05, 0x06, 0x07};
  ByteReader r(data);
  uint16_t a;
  uint32_t b;
  ASSERT_TRUE(r.ReadU16(&a));
  EXPECT_EQ(a, 0x0102);
  ASSERT_TRUE(r.ReadU32(&b));
  EXPECT_EQ(b, 0x03040506u);
  uint16_t c = 0xdead;
  EXPECT_FALSE(r.ReadU16(&c));  // one byte left
  EXPECT_EQ(c, 0xdead);         // untouched
  EXPECT_EQ(r.remaining(), 1u);
  uint64_t d;
  EXPECT_FALSE(r.ReadU64(&d));
  absl::Span<const uint8_t> rest;
  EXPECT_FALSE(r.ReadBytes(2, &rest));
  ASSERT_TRUE(r.ReadBytes(1, &rest));
  EXPECT_EQ(rest[0], 0x07);
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ByteWriterTest, WritesBigEndianAndFailsWithoutOverrun) {
  std::array<uint8_t, 6> out{};
  out.fill(0xee);
  ByteWriter w(absl::MakeSpan(out).subspan(0, 5));
  w.WriteU32(0x0a0b0c0d);
  EXPECT_TRUE(w.ok());
  w.WriteU16(0x1122);  // does not fit in the one byte left
  EXPECT_FALSE(w.ok());
  w.WriteU8(0x33);  // the writer stays failed
  EXPECT_EQ(w.written(), 4u);
  EXPECT_EQ(out[3], 0x0d);
  EXPECT_EQ(out[4], 0xee);
  EXPECT_EQ(out[5], 0xee);
}

TEST(ByteIoTest, LoadStoreRoundTrip) {
  std::array<uint8_t, 8> buf{};
  StoreBe64(buf.data(), 0x1122334455667788ull);
  EXPECT_EQ(buf[0], 0x11);
  EXPECT_EQ(buf[7], 0x88);
  EXPECT_EQ(LoadBe64(buf.data()), 0x1122334455667788ull);
}

}  // namespace
}  // namespace plait::wire
