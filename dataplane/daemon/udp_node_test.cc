// Per-path counters of the UDP node: two nodes on loopback sockets open an
// MPTCP connection, and each side's counts match the other's.
#include "dataplane/daemon/udp_node.h"

#include <memory>

#include "dataplane/base/time.h"
#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/runtime/event_loop.h"
#include "dataplane/wire/ip_address.h"
#include "gtest/gtest.h"

namespace plait::daemon {
namespace {

wire::IpAddress Ip(const char* text) { return *wire::IpAddress::Parse(text); }

struct Owner : mptcp::MptcpOwner {
  void OnEstablished(Time) override { established = true; }
  bool established = false;
};

TEST(UdpNodeTest, CountsPacketsAndBytesPerPath) {
  auto loop = runtime::EventLoop::Create();
  ASSERT_TRUE(loop.ok()) << loop.status();

  io::udp::UdpTransportConfig server_config;
  server_config.paths = {{Ip("10.0.0.2"), {Ip("127.0.0.1"), 0}}};
  server_config.learning = io::udp::PeerLearning::kAny;
  auto server = UdpNode::Create(loop->get(), server_config, {});
  ASSERT_TRUE(server.ok()) << server.status();

  io::udp::UdpTransportConfig client_config;
  client_config.paths = {{Ip("10.0.0.1"), {Ip("127.0.0.1"), 0}}};
  client_config.peers = {
      {Ip("10.0.0.2"), (*server)->transport().socket(0).local()}};
  auto client = UdpNode::Create(loop->get(), client_config, {});
  ASSERT_TRUE(client.ok()) << client.status();

  Owner server_owner, client_owner;
  mptcp::MptcpConfig config;
  config.path_manager_config.endpoints.clear();
  (*server)->stack()->Listen(
      Ip("10.0.0.2"), 80, config,
      {.owner_for = [&](const tcp::TcpEndpoints&) { return &server_owner; }});
  auto connection =
      (*client)->stack()->Connect(config, Ip("10.0.0.1"), Ip("10.0.0.2"), 80,
                                  &client_owner, (*loop)->Now());
  ASSERT_TRUE(connection.ok()) << connection.status();
  (*client)->Kick();
  for (int i = 0;
       i < 200 && !(client_owner.established && server_owner.established);
       ++i) {
    ASSERT_TRUE((*loop)->RunOnce(Milliseconds(10)).ok());
  }
  ASSERT_TRUE(client_owner.established && server_owner.established);
  // Let the last ACKs arrive.
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE((*loop)->RunOnce(Milliseconds(10)).ok());

  const std::vector<PathCounters> c = (*client)->path_counters();
  const std::vector<PathCounters> s = (*server)->path_counters();
  ASSERT_EQ(c.size(), 1u);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(c[0].address, Ip("10.0.0.1"));
  EXPECT_EQ(s[0].address, Ip("10.0.0.2"));
  EXPECT_GE(c[0].packets_sent, 2u);  // SYN, third ACK
  EXPECT_GE(s[0].packets_sent, 1u);  // SYN/ACK
  EXPECT_EQ(c[0].packets_sent, s[0].packets_received);
  EXPECT_EQ(s[0].packets_sent, c[0].packets_received);
  EXPECT_EQ(c[0].bytes_sent, s[0].bytes_received);
  EXPECT_EQ(s[0].bytes_sent, c[0].bytes_received);
  // Datagrams carry at least a 4-byte header and 40 bytes of IPv4 + TCP.
  EXPECT_GE(c[0].bytes_sent, c[0].packets_sent * 44);
}

}  // namespace
}  // namespace plait::daemon
