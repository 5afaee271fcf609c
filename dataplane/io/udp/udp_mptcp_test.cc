// The whole UDP mode: two Stacks, each behind a UdpTransport on real
// loopback sockets, an MPTCP connection with two subflows (client paths
// 127.0.0.1 and 127.0.0.2, server 127.0.0.3), driven by a poll loop with the
// monotonic clock as a daemon would. The server learns its peers
// (kSameAddress); the client has the server configured.
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/base/time.h"
#include "dataplane/io/udp/udp_transport.h"
#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/stack/stack.h"
#include "gtest/gtest.h"

namespace plait::io::udp {
namespace {

wire::IpAddress Ip(const char* text) { return *wire::IpAddress::Parse(text); }

Time Now() {
  return TimeFromEpoch(std::chrono::duration_cast<Duration>(
      std::chrono::steady_clock::now().time_since_epoch()));
}

struct App : mptcp::MptcpOwner {
  mptcp::MptcpConnection* connection = nullptr;
  std::vector<uint8_t> got;
  bool established = false;
  void OnEstablished(Time) override { established = true; }
  void OnReadable(Time now) override {
    uint8_t buffer[16384];
    size_t n;
    while (connection != nullptr && (n = connection->Read(buffer, now)) > 0) {
      got.insert(got.end(), buffer, buffer + n);
    }
  }
};

// A node: a stack whose output is a transport whose packets go to the stack.
struct Node {
  std::unique_ptr<UdpTransport> transport;
  std::unique_ptr<stack::Stack> stack;

  Node(UdpTransportConfig config, uint64_t seed) {
    auto t = UdpTransport::Create(config, [this](absl::Span<const uint8_t> p) {
      stack->OnPacket(p, Now());
    });
    EXPECT_TRUE(t.ok()) << t.status();
    transport = std::move(*t);
    stack::StackConfig stack_config;
    stack_config.seed = seed;
    stack = std::make_unique<stack::Stack>(stack_config, transport.get());
  }
};

// One round of the loop: flush, poll every fd (until the nearest deadline,
// at most 5 ms), read what is readable, fire due timers.
void RunOnce(Node& a, Node& b) {
  std::vector<pollfd> fds;
  std::vector<std::pair<Node*, size_t>> owners;
  for (Node* node : {&a, &b}) {
    ASSERT_TRUE(node->transport->Flush().ok());
    for (size_t i = 0; i < node->transport->path_count(); ++i) {
      short events = POLLIN;
      if (node->transport->WantsWritable(i)) events |= POLLOUT;
      fds.push_back({node->transport->fd(i), events, 0});
      owners.emplace_back(node, i);
    }
  }
  const Time now = Now();
  const Time next =
      std::min(a.stack->next_deadline(), b.stack->next_deadline());
  int timeout_ms = 5;
  if (next <= now) {
    timeout_ms = 0;
  } else if (next - now < Milliseconds(5)) {
    timeout_ms = 1;
  }
  ASSERT_GE(poll(fds.data(), fds.size(), timeout_ms), 0);
  for (size_t i = 0; i < fds.size(); ++i) {
    if (fds[i].revents & POLLIN) {
      ASSERT_TRUE(
          owners[i].first->transport->OnReadable(owners[i].second).ok());
    }
  }
  for (Node* node : {&a, &b}) {
    const Time t = Now();
    if (node->stack->next_deadline() <= t) node->stack->OnTimer(t);
  }
}

TEST(UdpMptcpTest, TwoPathConnectionCarriesDataIntact) {
  UdpTransportConfig server_config;
  server_config.paths = {{Ip("127.0.0.3"), {Ip("127.0.0.3"), 0}}};
  server_config.learning = PeerLearning::kSameAddress;
  Node server(server_config, 11);

  UdpTransportConfig client_config;
  client_config.paths = {{Ip("127.0.0.1"), {Ip("127.0.0.1"), 0}},
                         {Ip("127.0.0.2"), {Ip("127.0.0.2"), 0}}};
  client_config.peers = {
      {Ip("127.0.0.3"), server.transport->socket(0).local()}};
  Node client(client_config, 7);

  mptcp::MptcpConfig config;
  // What a 1500-byte path allows (docs/udp-encapsulation.md).
  config.tcp.mss = InnerMss(true, true, 1500);
  config.path_manager = "explicit";
  App client_app, server_app;
  server.stack->Listen(
      Ip("127.0.0.3"), 80, config,
      stack::Stack::Acceptor{
          [&](const tcp::TcpEndpoints&) { return &server_app; },
          [&](mptcp::MptcpConnection* c) { server_app.connection = c; }});
  auto connection = client.stack->Connect(
      config, Ip("127.0.0.1"), Ip("127.0.0.3"), 80, &client_app, Now());
  ASSERT_TRUE(connection.ok()) << connection.status();
  client_app.connection = *connection;

  const Time give_up = Now() + Seconds(30);
  while (!client_app.established && Now() < give_up) RunOnce(client, server);
  ASSERT_TRUE(client_app.established);
  ASSERT_TRUE(client.stack->AddSubflow(*connection, Ip("127.0.0.2"),
                                       Ip("127.0.0.3"), 80, Now()));
  while ((server_app.connection == nullptr ||
          server_app.connection->subflow_count() < 2) &&
         Now() < give_up) {
    RunOnce(client, server);
  }
  ASSERT_EQ(server_app.connection->subflow_count(), 2u);

  std::vector<uint8_t> data(4 << 20);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 7 + i / 977);
  size_t written = 0;
  while (server_app.got.size() < data.size() && Now() < give_up) {
    if (written < data.size()) {
      written += (*connection)
                     ->Write(absl::MakeConstSpan(data).subspan(written), Now());
    }
    RunOnce(client, server);
  }
  ASSERT_EQ(server_app.got.size(), data.size());
  EXPECT_TRUE(server_app.got == data);

  // Both client paths carried a share of the data (far more than their
  // handshake), and nothing was dropped on the way.
  for (size_t path = 0; path < 2; ++path) {
    EXPECT_GT(client.transport->socket(path).stats().sent, 100u)
        << client.transport->inner_address(path).ToString();
  }
  for (Node* node : {&client, &server}) {
    const auto& stats = node->transport->stats();
    for (size_t r = 0; r < kDropReasonCount; ++r) {
      EXPECT_EQ(stats.dropped[r], 0u)
          << DropReasonName(static_cast<DropReason>(r));
    }
    EXPECT_EQ(stats.send_no_peer + stats.send_no_path + stats.send_malformed,
              0u);
  }
  EXPECT_EQ(server.transport->stats().learned, 2u);
  EXPECT_EQ(server.stack->stats().bad_checksum, 0u);
}

}  // namespace
}  // namespace plait::io::udp
