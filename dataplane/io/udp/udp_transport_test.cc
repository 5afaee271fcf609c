#include "dataplane/io/udp/udp_transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/io/udp/encapsulation.h"
#include "dataplane/io/udp/test_packets.h"
#include "dataplane/io/udp/udp_path_socket.h"
#include "gtest/gtest.h"

namespace plait::io::udp {
namespace {

using testing::InnerPacket;
using testing::Ip;
using Packets = std::vector<std::vector<uint8_t>>;

// A transport with one path, recording what it delivers.
struct Node {
  Packets got;
  std::unique_ptr<UdpTransport> transport;

  Node(const char* inner, const char* bind,
       PeerLearning learning = PeerLearning::kOff) {
    UdpTransportConfig config;
    config.paths.push_back({Ip(inner), {Ip(bind), 0}});
    config.learning = learning;
    config.max_learned_peers = 2;
    auto t = UdpTransport::Create(config, [this](absl::Span<const uint8_t> p) {
      got.emplace_back(p.begin(), p.end());
    });
    EXPECT_TRUE(t.ok()) << t.status();
    if (t.ok()) transport = std::move(*t);
  }
  UdpEndpoint outer() const { return transport->socket(0).local(); }
  // Receives until `count` packets were delivered or drops counted, or 2 s
  // pass with nothing.
  void ReceiveUntil(size_t count) {
    while (got.size() + Dropped() < count) {
      pollfd p{transport->fd(0), POLLIN, 0};
      if (poll(&p, 1, 2000) != 1) return;
      ASSERT_TRUE(transport->OnReadable(0).ok());
    }
  }
  uint64_t Dropped() const {
    uint64_t n = 0;
    for (uint64_t d : transport->stats().dropped) n += d;
    return n;
  }
};

std::vector<uint8_t> Payload(int i) {
  return std::vector<uint8_t>(20 + i % 700, uint8_t(i * 13));
}

void ExchangeMany(const char* a_inner, const char* b_inner, const char* bind) {
  Node a(a_inner, bind), b(b_inner, bind);
  a.transport->SetPeer(Ip(b_inner), b.outer());
  b.transport->SetPeer(Ip(a_inner), a.outer());
  Packets sent;
  for (int i = 0; i < 400; ++i) {
    sent.push_back(InnerPacket(Ip(a_inner), Ip(b_inner), Payload(i)));
    a.transport->SendPacket(sent.back());
    // 80 per flush (two sendmmsg calls of the default 64), received before
    // the next: more would overflow the kernel's receive buffer.
    if (i % 80 == 79) {
      ASSERT_TRUE(a.transport->Flush().ok());
      b.ReceiveUntil(sent.size());
    }
  }
  EXPECT_EQ(a.transport->stats().queued, 400u);
  EXPECT_EQ(a.transport->socket(0).stats().send_batches, 10u);
  EXPECT_EQ(b.Dropped(), 0u);
  EXPECT_TRUE(b.got == sent);
  EXPECT_EQ(b.transport->stats().delivered, 400u);
  // And back.
  const auto reply = InnerPacket(Ip(b_inner), Ip(a_inner), Payload(1));
  b.transport->SendPacket(reply);
  ASSERT_TRUE(b.transport->Flush().ok());
  a.ReceiveUntil(1);
  ASSERT_EQ(a.got.size(), 1u);
  EXPECT_TRUE(a.got[0] == reply);
}

TEST(UdpTransportTest, CarriesManyPacketsOverIpv4) {
  ExchangeMany("127.0.0.1", "127.0.0.2", "127.0.0.1");
}

// Inner addresses need not be the outer ones: IPv6 inner over ::1.
TEST(UdpTransportTest, CarriesManyPacketsOverIpv6) {
  if (!UdpPathSocket::Open({Ip("::1"), 0}).ok()) {
    GTEST_SKIP() << "no IPv6 loopback";
  }
  ExchangeMany("fd00::1", "fd00::2", "::1");
}

TEST(UdpTransportTest, MalformedDatagramsAreCountedAndDropped) {
  Node b("127.0.0.2", "127.0.0.1");
  auto raw = UdpPathSocket::Open({Ip("127.0.0.1"), 0});
  auto other = UdpPathSocket::Open({Ip("127.0.0.1"), 0});
  ASSERT_TRUE(raw.ok() && other.ok());
  b.transport->SetPeer(Ip("127.0.0.1"), (*raw)->local());
  uint8_t header[kHeaderSize];
  WriteHeader(absl::MakeSpan(header));
  const uint8_t data[] = {1, 2, 3};
  const auto good = InnerPacket(Ip("127.0.0.1"), Ip("127.0.0.2"), data);
  auto send = [&](UdpPathSocket& from, absl::Span<const uint8_t> h,
                  absl::Span<const uint8_t> p) {
    ASSERT_TRUE(from.Enqueue(b.outer(), h, p));
    ASSERT_TRUE(from.SendBatch().ok());
  };
  const uint8_t bad_magic[] = {'P', 'X', 1, 1};
  const uint8_t bad_version[] = {'P', 'L', 9, 1};
  const uint8_t bad_type[] = {'P', 'L', 1, 7};
  send(**raw, {}, header);         // too short
  send(**raw, {}, {});             // empty
  send(**raw, bad_magic, good);    // bad magic
  send(**raw, bad_version, good);  // bad version
  send(**raw, bad_type, good);     // unknown type
  send(**raw, header, absl::MakeSpan(good).first(good.size() - 1));
  send(**raw, header,
       InnerPacket(Ip("127.0.0.1"), Ip("127.0.0.9"), data));  // wrong dst
  send(**raw, header,
       InnerPacket(Ip("127.0.0.5"), Ip("127.0.0.2"), data));  // unknown src
  send(**other, header, good);  // known inner source, other endpoint
  send(**raw, header, std::vector<uint8_t>(5000));  // over 4096: truncated
  send(**raw, header, good);                        // and one good one
  b.ReceiveUntil(11);
  const auto& stats = b.transport->stats();
  EXPECT_EQ(stats.dropped_for(DropReason::kTooShort), 2u);
  EXPECT_EQ(stats.dropped_for(DropReason::kBadMagic), 1u);
  EXPECT_EQ(stats.dropped_for(DropReason::kBadVersion), 1u);
  EXPECT_EQ(stats.dropped_for(DropReason::kUnknownType), 1u);
  EXPECT_EQ(stats.dropped_for(DropReason::kBadInnerPacket), 1u);
  EXPECT_EQ(stats.dropped_for(DropReason::kWrongDestination), 1u);
  EXPECT_EQ(stats.dropped_for(DropReason::kUnknownPeer), 1u);
  EXPECT_EQ(stats.dropped_for(DropReason::kPeerMismatch), 1u);
  EXPECT_EQ(stats.dropped_for(DropReason::kTruncated), 1u);
  ASSERT_EQ(b.got.size(), 1u);
  EXPECT_TRUE(b.got[0] == good);
  EXPECT_EQ(stats.learned, 0u);
}

TEST(UdpTransportTest, LearnsOnlyWhatItsPolicyAllows) {
  Node same("127.0.0.2", "127.0.0.2", PeerLearning::kSameAddress);
  Node any("127.0.0.3", "127.0.0.3", PeerLearning::kAny);
  Node a("127.0.0.1", "127.0.0.1");
  a.transport->SetPeer(Ip("127.0.0.2"), same.outer());
  a.transport->SetPeer(Ip("127.0.0.3"), any.outer());
  const uint8_t data[] = {1};
  // From 127.0.0.1 with inner source 127.0.0.1 (learnable by both), then
  // with an inner source that is not the outer address (only kAny).
  for (const char* dst : {"127.0.0.2", "127.0.0.3"}) {
    a.transport->SendPacket(InnerPacket(Ip("127.0.0.1"), Ip(dst), data));
  }
  ASSERT_TRUE(a.transport->Flush().ok());
  same.ReceiveUntil(1);
  any.ReceiveUntil(1);
  auto forged = UdpPathSocket::Open({Ip("127.0.0.1"), 0});
  ASSERT_TRUE(forged.ok());
  uint8_t header[kHeaderSize];
  WriteHeader(absl::MakeSpan(header));
  for (Node* node : {&same, &any}) {
    for (const char* src : {"10.9.9.9", "10.9.9.8", "127.0.0.1"}) {
      ASSERT_TRUE((*forged)->Enqueue(
          node->outer(), header,
          InnerPacket(Ip(src), node->transport->inner_address(0), data)));
    }
  }
  ASSERT_TRUE((*forged)->SendBatch().ok());
  same.ReceiveUntil(4);
  any.ReceiveUntil(4);
  // kSameAddress: learnt 127.0.0.1 -> a; refused 10.9.9.x (not the outer
  // address); the forged 127.0.0.1 from another port did not replace it.
  EXPECT_EQ(same.transport->stats().learned, 1u);
  EXPECT_EQ(same.transport->PeerFor(Ip("127.0.0.1")), a.outer());
  EXPECT_EQ(same.transport->stats().dropped_for(DropReason::kUnknownPeer), 2u);
  EXPECT_EQ(same.transport->stats().dropped_for(DropReason::kPeerMismatch), 1u);
  // kAny, at most 2 learnt: 127.0.0.1 and 10.9.9.9; 10.9.9.8 refused.
  EXPECT_EQ(any.transport->stats().learned, 2u);
  EXPECT_EQ(any.transport->PeerFor(Ip("10.9.9.9")), (*forged)->local());
  EXPECT_FALSE(any.transport->PeerFor(Ip("10.9.9.8")).has_value());
  EXPECT_EQ(any.transport->stats().dropped_for(DropReason::kUnknownPeer), 1u);
  // A configured entry replaces a learnt one; removing frees room to learn.
  any.transport->SetPeer(Ip("10.9.9.9"), a.outer());
  EXPECT_EQ(any.transport->PeerFor(Ip("10.9.9.9")), a.outer());
  // The learnt route answers.
  same.transport->SendPacket(
      InnerPacket(Ip("127.0.0.2"), Ip("127.0.0.1"), data));
  ASSERT_TRUE(same.transport->Flush().ok());
  a.ReceiveUntil(1);
  EXPECT_EQ(a.got.size(), 1u);
}

TEST(UdpTransportTest, SendSideProblemsAreCounted) {
  Node a("127.0.0.1", "127.0.0.1");
  const uint8_t data[] = {1};
  a.transport->SendPacket(data);  // not an IP packet
  a.transport->SendPacket(InnerPacket(Ip("127.0.0.7"), Ip("127.0.0.2"), data));
  a.transport->SendPacket(InnerPacket(Ip("127.0.0.1"), Ip("127.0.0.2"), data));
  a.transport->SetPeer(Ip("127.0.0.2"), {Ip("::1"), 9});
  a.transport->SendPacket(InnerPacket(Ip("127.0.0.1"), Ip("127.0.0.2"), data));
  const auto& stats = a.transport->stats();
  EXPECT_EQ(stats.send_malformed, 1u);
  EXPECT_EQ(stats.send_no_path, 1u);
  EXPECT_EQ(stats.send_no_peer, 1u);
  EXPECT_EQ(stats.send_family_mismatch, 1u);
  EXPECT_EQ(stats.queued, 0u);
}

TEST(UdpTransportTest, RefusesBadConfigurations) {
  auto handler = [](absl::Span<const uint8_t>) {};
  EXPECT_FALSE(UdpTransport::Create({}, handler).ok());
  UdpTransportConfig twice;
  twice.paths = {{Ip("127.0.0.1"), {Ip("127.0.0.1"), 0}},
                 {Ip("127.0.0.1"), {Ip("127.0.0.1"), 0}}};
  EXPECT_FALSE(UdpTransport::Create(twice, handler).ok());
  UdpTransportConfig mixed;
  mixed.paths = {{Ip("fd00::1"), {Ip("127.0.0.1"), 0}}};
  EXPECT_FALSE(UdpTransport::Create(mixed, handler).ok());
}

TEST(UdpTransportTest, RefusesOversizedReceiveMemoryNamingTheField) {
  auto handler = [](absl::Span<const uint8_t>) {};
  UdpTransportConfig config;
  config.paths = {{Ip("127.0.0.1"), {Ip("127.0.0.1"), 0}}};
  auto refused = [&](const char* field) {
    auto t = UdpTransport::Create(config, handler);
    if (t.ok()) return ::testing::AssertionFailure() << "accepted";
    if (t.status().code() != absl::StatusCode::kInvalidArgument ||
        t.status().message().find(field) == std::string::npos) {
      return ::testing::AssertionFailure() << t.status();
    }
    return ::testing::AssertionSuccess();
  };
  // 2^62 * 4096 wraps around to 1024 bytes of buffers.
  config.receive_batch = size_t{1} << 62;
  EXPECT_TRUE(refused("receive_batch"));
  config.receive_batch = UdpTransportConfig::kMaxReceiveBatch + 1;
  EXPECT_TRUE(refused("receive_batch"));
  config.receive_batch = 0;
  EXPECT_TRUE(refused("receive_batch"));
  config.receive_batch = 32;
  config.receive_buffer_bytes = UdpTransportConfig::kMaxReceiveBufferBytes + 1;
  EXPECT_TRUE(refused("receive_buffer_bytes"));
  config.receive_buffer_bytes = kHeaderSize;
  EXPECT_TRUE(refused("receive_buffer_bytes"));
  // The limits themselves are fine.
  config.receive_batch = UdpTransportConfig::kMaxReceiveBatch;
  config.receive_buffer_bytes = UdpTransportConfig::kMaxReceiveBufferBytes;
  EXPECT_TRUE(UdpTransport::Create(config, handler).ok());
}

// receive_batch 32 over sockets that take 8 per recvmmsg: a full batch of 8
// is not the end of what waits.
TEST(UdpTransportTest, OnReadableDrainsWhenTheSocketBatchIsSmaller) {
  UdpTransportConfig config;
  config.paths = {{Ip("127.0.0.2"), {Ip("127.0.0.1"), 0}}};
  config.socket.batch = 8;
  size_t delivered = 0;
  auto b = UdpTransport::Create(
      config, [&](absl::Span<const uint8_t>) { ++delivered; });
  ASSERT_TRUE(b.ok()) << b.status();
  Node a("127.0.0.1", "127.0.0.1");
  a.transport->SetPeer(Ip("127.0.0.2"), (*b)->socket(0).local());
  (*b)->SetPeer(Ip("127.0.0.1"), a.outer());
  const uint8_t data[] = {1, 2, 3};
  for (int i = 0; i < 20; ++i) {
    a.transport->SendPacket(
        InnerPacket(Ip("127.0.0.1"), Ip("127.0.0.2"), data));
  }
  ASSERT_TRUE(a.transport->Flush().ok());
  pollfd p{(*b)->fd(0), POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 2000), 1);
  // Loopback delivers while sending; a moment more to be sure all are in.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto got = (*b)->OnReadable(0);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, 20u);
  EXPECT_EQ(delivered, 20u);
}

// Reads whatever `fd` has, without blocking.
void Discard(int fd) {
  char buffer[65536];
  while (recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT) > 0) {
  }
}

// Once a path's socket reported EAGAIN, a burst of packets must not make one
// failing sendmmsg each; the queue is sent when the socket is writable.
TEST(UdpTransportTest, BlockedPathWaitsForWritabilityInsteadOfRetrying) {
  UdpTransportConfig config;
  config.paths = {{Ip("127.0.0.1"), {Ip("127.0.0.1"), 0}}};
  config.socket.send_queue_datagrams = 4;
  auto t = UdpTransport::Create(config, [](absl::Span<const uint8_t>) {});
  ASSERT_TRUE(t.ok()) << t.status();
  UdpTransport& transport = **t;
  // UDP over loopback never blocks, so the path socket's descriptor is
  // replaced by a TCP connection whose reader does not read (TCP ignores the
  // destination addresses of sendmmsg): its send buffer fills up.
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  const int small = 4096;
  ASSERT_EQ(setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)),
            0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), length), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  ASSERT_EQ(
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(client, 0);
  const int send_buffer = 65536;
  ASSERT_EQ(setsockopt(client, SOL_SOCKET, SO_SNDBUF, &send_buffer,
                       sizeof(send_buffer)),
            0);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&address), length), 0);
  const int reader = accept(listener, nullptr, nullptr);
  ASSERT_GE(reader, 0);
  close(listener);
  ASSERT_EQ(fcntl(client, F_SETFL, O_NONBLOCK), 0);
  ASSERT_EQ(dup2(client, transport.fd(0)), transport.fd(0));
  close(client);

  transport.SetPeer(Ip("127.0.0.2"), {Ip("127.0.0.1"), 9});
  const auto packet = InnerPacket(Ip("127.0.0.1"), Ip("127.0.0.2"),
                                  std::vector<uint8_t>(1000, 7));
  for (int i = 0; i < 100000 && !transport.WantsWritable(0); ++i) {
    transport.SendPacket(packet);
    ASSERT_TRUE(transport.Flush().ok());
  }
  ASSERT_TRUE(transport.WantsWritable(0));
  const uint64_t eagain = transport.socket(0).stats().would_block;
  const uint64_t drops = transport.stats().send_queue_drops;
  for (int i = 0; i < 50; ++i) transport.SendPacket(packet);
  EXPECT_TRUE(transport.socket(0).full());
  EXPECT_EQ(transport.socket(0).stats().would_block, eagain)
      << "a sendmmsg per packet while blocked";
  EXPECT_GE(transport.stats().send_queue_drops, drops + 46);
  EXPECT_TRUE(transport.WantsWritable(0));

  // The reader catches up; the loop sees the socket writable.
  for (int i = 0; i < 200 && transport.WantsWritable(0); ++i) {
    Discard(reader);
    pollfd p{transport.fd(0), POLLOUT, 0};
    if (poll(&p, 1, 10) == 1) {
      ASSERT_TRUE(transport.OnWritable(0).ok());
    }
  }
  EXPECT_FALSE(transport.WantsWritable(0));
  EXPECT_EQ(transport.socket(0).queued(), 0u);
  close(reader);
}

}  // namespace
}  // namespace plait::io::udp
