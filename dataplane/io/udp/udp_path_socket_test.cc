#include "dataplane/io/udp/udp_path_socket.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace plait::io::udp {
namespace {

UdpEndpoint Any(const char* address) {
  return {*wire::IpAddress::Parse(address), 0};
}

bool WaitReadable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 2000) == 1;
}

// Sends `count` datagrams of distinct contents from a to b and receives
// them all in batches into one caller-owned block of memory.
// Sends `count` datagrams of distinct contents from a to b, 50 per round
// (a round must fit b's kernel receive buffer: UDP drops beyond it), and
// receives them in batches into one caller-owned block of memory.
void RoundTrip(UdpPathSocket& a, UdpPathSocket& b, int count) {
  const uint8_t header[] = {0xaa};
  std::vector<uint8_t> memory(16 * 2048);
  std::vector<ReceivedDatagram> slots(16);
  for (size_t i = 0; i < slots.size(); ++i) {
    slots[i].buffer = absl::MakeSpan(memory.data() + i * 2048, 2048);
  }
  int got = 0;
  for (int round = 0; round < count; round += 50) {
    const int end = std::min(count, round + 50);
    for (int i = round; i < end; ++i) {
      const std::vector<uint8_t> payload(100 + i % 50, uint8_t(i));
      ASSERT_TRUE(a.Enqueue(b.local(), header, payload));
    }
    auto sent = a.SendBatch();
    ASSERT_TRUE(sent.ok()) << sent.status();
    EXPECT_EQ(sent->sent, size_t(end - round));
    EXPECT_FALSE(sent->would_block);
    EXPECT_EQ(a.queued(), 0u);
    while (got < end) {
      ASSERT_TRUE(WaitReadable(b.fd())) << "only " << got << " arrived";
      auto n = b.ReceiveBatch(absl::MakeSpan(slots));
      ASSERT_TRUE(n.ok()) << n.status();
      for (size_t i = 0; i < *n; ++i, ++got) {
        const ReceivedDatagram& d = slots[i];
        ASSERT_EQ(d.length, 1u + 100 + got % 50);
        EXPECT_FALSE(d.truncated);
        EXPECT_EQ(d.buffer[0], 0xaa);
        EXPECT_EQ(d.buffer[1], uint8_t(got));
        EXPECT_EQ(d.from, a.local());
      }
    }
  }
  EXPECT_EQ(b.stats().received, uint64_t(count));
  auto none = b.ReceiveBatch(absl::MakeSpan(slots));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0u);
}

TEST(UdpPathSocketTest, BatchesOverIpv4) {
  auto a = UdpPathSocket::Open(Any("127.0.0.1"));
  auto b = UdpPathSocket::Open(Any("127.0.0.1"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*b)->local().port, 0);
  RoundTrip(**a, **b, 300);
  // 50 per round, at most 64 per call: one sendmmsg per round.
  EXPECT_EQ((*a)->stats().send_batches, 6u);
}

TEST(UdpPathSocketTest, BatchesOverIpv6) {
  auto a = UdpPathSocket::Open(Any("::1"));
  if (!a.ok()) GTEST_SKIP() << "no IPv6 loopback: " << a.status();
  auto b = UdpPathSocket::Open(Any("::1"));
  ASSERT_TRUE(b.ok());
  RoundTrip(**a, **b, 100);
}

TEST(UdpPathSocketTest, FullQueueDropsAndCounts) {
  UdpPathSocket::Options options;
  options.send_queue_datagrams = 8;
  options.max_datagram_bytes = 1000;
  auto a = UdpPathSocket::Open(Any("127.0.0.1"), options);
  auto b = UdpPathSocket::Open(Any("127.0.0.1"));
  ASSERT_TRUE(a.ok() && b.ok());
  const uint8_t payload[10] = {};
  int accepted = 0;
  for (int i = 0; i < 20; ++i)
    accepted += (*a)->Enqueue((*b)->local(), {}, payload);
  EXPECT_EQ(accepted, 8);
  EXPECT_TRUE((*a)->full());
  EXPECT_EQ((*a)->stats().queue_full, 12u);
  const std::vector<uint8_t> big(1001);
  auto sent = (*a)->SendBatch();
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->sent, 8u);
  EXPECT_FALSE((*a)->Enqueue((*b)->local(), {}, big));
  EXPECT_EQ((*a)->stats().too_big, 1u);
  // The ring wraps: the next datagrams reuse the slots.
  for (int i = 0; i < 8; ++i)
    EXPECT_TRUE((*a)->Enqueue((*b)->local(), {}, payload));
  sent = (*a)->SendBatch();
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->sent, 8u);
  EXPECT_EQ((*a)->stats().sent, 16u);
}

TEST(UdpPathSocketTest, RefusedDatagramIsDroppedAndTheRestSent) {
  auto a = UdpPathSocket::Open(Any("127.0.0.1"));
  auto b = UdpPathSocket::Open(Any("127.0.0.1"));
  ASSERT_TRUE(a.ok() && b.ok());
  const uint8_t payload[4] = {1, 2, 3, 4};
  // An IPv6 destination on an IPv4 socket: the kernel refuses it.
  const UdpEndpoint v6{*wire::IpAddress::Parse("::1"), 9};
  ASSERT_TRUE((*a)->Enqueue((*b)->local(), {}, payload));
  ASSERT_TRUE((*a)->Enqueue(v6, {}, payload));
  ASSERT_TRUE((*a)->Enqueue((*b)->local(), {}, payload));
  auto sent = (*a)->SendBatch();
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(sent->sent, 2u);
  EXPECT_EQ((*a)->stats().send_errors, 1u);
  EXPECT_FALSE(sent->last_error.ok());
  EXPECT_NE(std::string(sent->last_error.message()).find("sendmmsg"),
            std::string::npos)
      << sent->last_error;
  EXPECT_EQ((*a)->queued(), 0u);
}

TEST(UdpPathSocketTest, OversizeDatagramIsTruncated) {
  auto a = UdpPathSocket::Open(Any("127.0.0.1"));
  auto b = UdpPathSocket::Open(Any("127.0.0.1"));
  ASSERT_TRUE(a.ok() && b.ok());
  const std::vector<uint8_t> payload(300, 7);
  ASSERT_TRUE((*a)->Enqueue((*b)->local(), {}, payload));
  ASSERT_TRUE((*a)->SendBatch().ok());
  ASSERT_TRUE(WaitReadable((*b)->fd()));
  uint8_t small[100];
  ReceivedDatagram slot{absl::MakeSpan(small)};
  auto n = (*b)->ReceiveBatch(absl::MakeSpan(&slot, 1));
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(*n, 1u);
  EXPECT_TRUE(slot.truncated);
  EXPECT_EQ(slot.length, 100u);
}

TEST(UdpPathSocketTest, ErrorsNameTheSyscallAndErrno) {
  // 192.0.2.1 (TEST-NET-1) is not an address of this host.
  auto s = UdpPathSocket::Open({*wire::IpAddress::Parse("192.0.2.1"), 0});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.status().message()).find("bind(192.0.2.1:0)"),
            std::string::npos)
      << s.status();
  EXPECT_NE(std::string(s.status().message()).find("errno"), std::string::npos);
}

// The lowest free descriptor number (the kernel always hands that out).
int LowestFreeFd() {
  const int fd = eventfd(0, EFD_CLOEXEC);
  close(fd);
  return fd;
}

TEST(UdpPathSocketTest, NothingLeaksWhenBuildingTheSocketThrows) {
  UdpPathSocket::Options options;
  // More slots than a vector can hold: the constructor throws.
  options.send_queue_datagrams = std::numeric_limits<size_t>::max() / 2;
  const int before = LowestFreeFd();
  EXPECT_ANY_THROW(
      UdpPathSocket::Open(Any("127.0.0.1"), options).IgnoreError());
  EXPECT_EQ(LowestFreeFd(), before) << "the socket's descriptor leaked";
}

int SocketOption(int fd, int option) {
  int value = 0;
  socklen_t length = sizeof(value);
  EXPECT_EQ(getsockopt(fd, SOL_SOCKET, option, &value, &length), 0);
  return value;
}

// The kernel default (~208 KiB) overflows after ~90 datagrams: by default
// the buffers are enlarged, as far as rmem_max / wmem_max allow (further
// with CAP_NET_ADMIN).
TEST(UdpPathSocketTest, KernelBuffersAreEnlarged) {
  UdpPathSocket::Options kernel_default;
  kernel_default.kernel_receive_buffer_bytes = 0;
  kernel_default.kernel_send_buffer_bytes = 0;
  auto plain = UdpPathSocket::Open(Any("127.0.0.1"), kernel_default);
  auto enlarged = UdpPathSocket::Open(Any("127.0.0.1"));
  ASSERT_TRUE(plain.ok() && enlarged.ok());
  EXPECT_GT(SocketOption((*enlarged)->fd(), SO_RCVBUF),
            SocketOption((*plain)->fd(), SO_RCVBUF));
  EXPECT_GT(SocketOption((*enlarged)->fd(), SO_SNDBUF),
            SocketOption((*plain)->fd(), SO_SNDBUF));
  // A small explicit size is applied as given (the kernel doubles it).
  UdpPathSocket::Options small;
  small.kernel_receive_buffer_bytes = 64 << 10;
  small.kernel_send_buffer_bytes = 32 << 10;
  auto s = UdpPathSocket::Open(Any("127.0.0.1"), small);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(SocketOption((*s)->fd(), SO_RCVBUF), 128 << 10);
  EXPECT_EQ(SocketOption((*s)->fd(), SO_SNDBUF), 64 << 10);
  UdpPathSocket::Options negative;
  negative.kernel_send_buffer_bytes = -1;
  auto bad = UdpPathSocket::Open(Any("127.0.0.1"), negative);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("kernel_send_buffer"),
            std::string::npos)
      << bad.status();
}

}  // namespace
}  // namespace plait::io::udp
