#include "dataplane/tcp/send_buffer.h"

#include <cstdint>
#include <deque>
#include <random>
#include <vector>

#include "absl/types/span.h"
#include "gtest/gtest.h"

namespace plait::tcp {
namespace {

std::vector<uint8_t> Bytes(size_t n, uint8_t first) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(first + i);
  return v;
}

std::vector<uint8_t> Joined(absl::Span<const uint8_t> views[2]) {
  std::vector<uint8_t> v(views[0].begin(), views[0].end());
  v.insert(v.end(), views[1].begin(), views[1].end());
  return v;
}

TEST(SendBufferTest, StartsEmpty) {
  SendBuffer b(16);
  EXPECT_EQ(b.capacity(), 16u);
  EXPECT_EQ(b.free_space(), 16u);
  EXPECT_EQ(b.size(), 0u);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.begin_offset(), 0u);
  EXPECT_EQ(b.end_offset(), 0u);
  absl::Span<const uint8_t> v[2];
  EXPECT_EQ(b.Peek(0, 10, v), 0u);
  EXPECT_TRUE(v[0].empty());
  EXPECT_TRUE(v[1].empty());
}

TEST(SendBufferTest, PartialWriteWhenFull) {
  SendBuffer b(10);
  EXPECT_EQ(b.Write(Bytes(6, 0)), 6u);
  EXPECT_EQ(b.Write(Bytes(6, 6)), 4u);  // only 4 free
  EXPECT_EQ(b.free_space(), 0u);
  EXPECT_EQ(b.Write(Bytes(3, 100)), 0u);
  EXPECT_EQ(b.end_offset(), 10u);
  uint8_t out[10];
  EXPECT_EQ(b.CopyOut(0, 10, out), 10u);
  EXPECT_EQ(std::vector<uint8_t>(out, out + 10), Bytes(10, 0));
}

TEST(SendBufferTest, ReleaseAndWrapAround) {
  SendBuffer b(10);
  ASSERT_EQ(b.Write(Bytes(8, 0)), 8u);
  EXPECT_EQ(b.Release(6), 6u);
  EXPECT_EQ(b.begin_offset(), 6u);
  EXPECT_EQ(b.free_space(), 8u);
  // Bytes 8..15 occupy ring indices 8, 9, then 0..5.
  ASSERT_EQ(b.Write(Bytes(8, 8)), 8u);
  EXPECT_EQ(b.end_offset(), 16u);
  absl::Span<const uint8_t> v[2];
  EXPECT_EQ(b.Peek(7, 100, v), 9u);
  EXPECT_EQ(v[0].size(), 3u);  // offsets 7, 8, 9 at indices 7..9
  EXPECT_EQ(v[1].size(), 6u);  // offsets 10..15 at indices 0..5
  EXPECT_EQ(Joined(v), Bytes(9, 7));
  // A view that ends before the wrap has one span.
  EXPECT_EQ(b.Peek(6, 2, v), 2u);
  EXPECT_EQ(v[1].size(), 0u);
  EXPECT_EQ(Joined(v), Bytes(2, 6));
  // A view that starts after the wrap has one span.
  EXPECT_EQ(b.Peek(11, 3, v), 3u);
  EXPECT_EQ(v[1].size(), 0u);
  EXPECT_EQ(Joined(v), Bytes(3, 11));
  uint8_t out[16] = {};
  EXPECT_EQ(b.CopyOut(8, 5, out), 5u);
  EXPECT_EQ(std::vector<uint8_t>(out, out + 5), Bytes(5, 8));
}

TEST(SendBufferTest, OffsetsOutsideTheBufferGiveNothing) {
  SendBuffer b(8, /*initial_offset=*/1000);
  ASSERT_EQ(b.Write(Bytes(4, 0)), 4u);
  b.Release(1002);
  absl::Span<const uint8_t> v[2];
  EXPECT_EQ(b.Peek(1001, 5, v), 0u);  // released
  EXPECT_EQ(b.Peek(1004, 5, v), 0u);  // end
  EXPECT_EQ(b.Peek(1005, 5, v), 0u);  // beyond
  uint8_t out[4];
  EXPECT_EQ(b.CopyOut(999, 1, out), 0u);
  EXPECT_EQ(b.CopyOut(1003, 10, out), 1u);
  EXPECT_EQ(out[0], 3);
  EXPECT_EQ(b.Peek(1002, 0, v), 0u);  // zero length
}

TEST(SendBufferTest, ReleaseClampsAndIgnoresOld) {
  SendBuffer b(8);
  b.Write(Bytes(5, 0));
  EXPECT_EQ(b.Release(0), 0u);
  EXPECT_EQ(b.Release(3), 3u);
  EXPECT_EQ(b.Release(2), 0u);    // old ACK
  EXPECT_EQ(b.Release(100), 2u);  // clamped to end_offset
  EXPECT_EQ(b.begin_offset(), 5u);
  EXPECT_EQ(b.end_offset(), 5u);
  EXPECT_EQ(b.free_space(), 8u);
  // The empty ring restarts at index 0: a full write is one span.
  ASSERT_EQ(b.Write(Bytes(8, 50)), 8u);
  absl::Span<const uint8_t> v[2];
  EXPECT_EQ(b.Peek(5, 8, v), 8u);
  EXPECT_EQ(v[0].size(), 8u);
  EXPECT_EQ(Joined(v), Bytes(8, 50));
}

TEST(SendBufferTest, ZeroCapacity) {
  SendBuffer b(0);
  EXPECT_EQ(b.Write(Bytes(3, 0)), 0u);
  EXPECT_EQ(b.free_space(), 0u);
  EXPECT_EQ(b.Release(10), 0u);
}

TEST(SendBufferTest, RandomizedAgainstDeque) {
  std::mt19937_64 rng(7);
  for (size_t capacity : {1u, 7u, 64u, 1000u}) {
    SendBuffer b(capacity, 5);
    std::deque<uint8_t> model;
    uint64_t model_begin = 5;
    uint8_t next = 0;
    for (int op = 0; op < 20000; ++op) {
      const int kind = static_cast<int>(rng() % 3);
      if (kind == 0) {
        std::vector<uint8_t> data(rng() % (capacity + 3));
        for (uint8_t& x : data) x = next++;
        const size_t took = b.Write(data);
        ASSERT_EQ(took, std::min(data.size(), capacity - model.size()));
        model.insert(model.end(), data.begin(), data.begin() + took);
        next = static_cast<uint8_t>(next - (data.size() - took));
      } else if (kind == 1) {
        const uint64_t up_to = model_begin + rng() % (model.size() + 2);
        const size_t expect = static_cast<size_t>(
            std::min<uint64_t>(up_to - model_begin, model.size()));
        ASSERT_EQ(b.Release(up_to), expect);
        model.erase(model.begin(), model.begin() + expect);
        model_begin += expect;
      } else {
        const uint64_t offset = model_begin + rng() % (model.size() + 2);
        const size_t len = rng() % (capacity + 2);
        std::vector<uint8_t> out(len + 1, 0xee);
        const size_t n = b.CopyOut(offset, len, out.data());
        const uint64_t dist = offset - model_begin;
        const size_t expect =
            dist >= model.size()
                ? 0
                : std::min<size_t>(len,
                                   model.size() - static_cast<size_t>(dist));
        ASSERT_EQ(n, expect);
        for (size_t i = 0; i < n; ++i) {
          ASSERT_EQ(out[i], model[dist + i]) << i;
        }
        ASSERT_EQ(out[n], 0xee);  // no write past the copy
        absl::Span<const uint8_t> v[2];
        ASSERT_EQ(b.Peek(offset, len, v), expect);
        ASSERT_EQ(Joined(v),
                  std::vector<uint8_t>(out.begin(), out.begin() + n));
      }
      ASSERT_EQ(b.begin_offset(), model_begin);
      ASSERT_EQ(b.end_offset(), model_begin + model.size());
      ASSERT_EQ(b.free_space(), capacity - model.size());
    }
  }
}

}  // namespace
}  // namespace plait::tcp
