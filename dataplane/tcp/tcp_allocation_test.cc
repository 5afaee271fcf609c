// The engine allocates nothing per segment in steady state: its buffers,
// scoreboard and packet buffer are sized once and reused. This binary counts
// every heap allocation made inside engine calls (the harness's own copies
// excluded) while a bulk transfer runs.
#include <cstdlib>
#include <new>

#include "dataplane/tcp/testing/loopback.h"
#include "gtest/gtest.h"

namespace {
thread_local bool counting = false;
uint64_t allocations = 0;
}  // namespace

void* operator new(size_t size) {
  if (counting) ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace plait::tcp {
namespace {

using tcp_testing::Established;
using tcp_testing::Loopback;
using tcp_testing::Pattern;

TEST(TcpAllocationTest, SteadyStateBulkTransferAllocatesNothing) {
  tcp_testing::engine_call_hook = [](bool entering) { counting = entering; };
  Loopback loop;
  loop.client->Connect(loop.now);
  ASSERT_TRUE(loop.RunUntil([&] { return Established(loop); }, Seconds(1)));
  const std::vector<uint8_t> data = Pattern(40'000'000);
  size_t offset = 0;
  auto pump = [&] {
    tcp_testing::EngineCall call;
    offset += loop.client->Write(absl::MakeConstSpan(data).subspan(offset),
                                 loop.now);
  };
  // Warm-up: the scoreboard grows to the largest window.
  ASSERT_TRUE(loop.RunUntil([&] { pump(); return offset > 10'000'000; },
                            Seconds(60)));
  allocations = 0;
  const uint64_t segments_before = loop.client->stats().segments_sent +
                                   loop.server->stats().segments_sent;
  ASSERT_TRUE(loop.RunUntil([&] { pump(); return offset == data.size(); },
                            Seconds(120)));
  const uint64_t segments = loop.client->stats().segments_sent +
                            loop.server->stats().segments_sent -
                            segments_before;
  tcp_testing::engine_call_hook = nullptr;
  EXPECT_GT(segments, 20'000u);
  EXPECT_EQ(allocations, 0u) << "over " << segments << " segments";
}

}  // namespace
}  // namespace plait::tcp
