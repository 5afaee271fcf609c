#include "dataplane/metrics/connection_totals.h"

#include <cstdint>
#include <vector>

#include "dataplane/base/time.h"
#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/mptcp/testing/mptcp_loopback.h"
#include "gtest/gtest.h"

namespace plait::metrics {
namespace {

using mptcp::MptcpConfig;
using mptcp::MptcpConnection;
using mptcp::mptcp_testing::MptcpLoopback;

std::vector<uint8_t> Bytes(size_t n) {
  std::vector<uint8_t> data(n);
  for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>(i * 7);
  return data;
}

void Establish(MptcpLoopback& loop) {
  loop.Connect();
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.apps[0].established && loop.apps[1].established; },
      Seconds(5)));
}

TEST(ConnectionTotalsTest, StatesFollowTheConnection) {
  MptcpLoopback loop(MptcpConfig{}, MptcpConfig{});
  loop.Connect();
  EXPECT_EQ(StateOf(*loop.client), ConnectionState::kConnecting);
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.apps[0].established && loop.apps[1].established; },
      Seconds(5)));
  EXPECT_EQ(StateOf(*loop.client), ConnectionState::kEstablished);
  EXPECT_EQ(StateOf(*loop.server), ConnectionState::kEstablished);
  loop.client->Close(loop.now);
  loop.server->Close(loop.now);
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.apps[0].closed && loop.apps[1].closed; }, Seconds(5)));
  EXPECT_EQ(StateOf(*loop.client), ConnectionState::kClosing);
}

// A switch does not move earlier decisions to the new scheduler's name:
// the sum over schedulers stays the number of chunks (a counter per name
// never has to go back).
TEST(ConnectionTotalsTest, ChunksCountUnderTheSchedulerThatChoseThem) {
  MptcpLoopback loop(MptcpConfig{}, MptcpConfig{});
  Establish(loop);
  ASSERT_TRUE(loop.Send(0, Bytes(100000), Seconds(10)));
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.apps[1].received.size() == 100000; }, Seconds(10)));
  const uint64_t before = loop.client->stats().chunks_sent;
  ASSERT_GT(before, 0u);
  ASSERT_TRUE(loop.client->SetScheduler("redundant", loop.now).ok());
  ASSERT_TRUE(loop.Send(0, Bytes(100000), Seconds(10)));
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.apps[1].received.size() == 200000; }, Seconds(10)));
  const uint64_t all = loop.client->stats().chunks_sent;
  ASSERT_GT(all, before);
  const ConnectionCounters c = CountersOf(*loop.client);
  ASSERT_EQ(c.chunks_by_scheduler.size(), 2u);
  EXPECT_EQ(c.chunks_by_scheduler.at("minrtt"), before);
  EXPECT_EQ(c.chunks_by_scheduler.at("redundant"), all - before);
}

TEST(ConnectionTotalsTest, CollectsStatesSubflowsAndSamples) {
  MptcpLoopback loop(MptcpConfig{}, MptcpConfig{},
                     {Milliseconds(10), Milliseconds(30)});
  Establish(loop);
  ASSERT_TRUE(loop.Join(1));
  ASSERT_TRUE(loop.Send(0, Bytes(200000), Seconds(10)));
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.apps[1].received.size() == 200000; }, Seconds(10)));

  ConnectionTotals totals;
  MetricsSnapshot snapshot;
  const MptcpConnection* live[] = {loop.client.get()};
  totals.Collect(live, &snapshot);
  EXPECT_EQ(snapshot.connections_established, 1u);
  EXPECT_EQ(snapshot.connections_connecting, 0u);
  EXPECT_EQ(snapshot.connections_closing, 0u);
  EXPECT_EQ(snapshot.subflows, 2u);
  ASSERT_EQ(snapshot.subflow_samples.size(), 2u);
  for (const SubflowSample& sample : snapshot.subflow_samples) {
    const bool first = sample.path == loop.paths[0].client;
    EXPECT_TRUE(first || sample.path == loop.paths[1].client);
    // Round trips are twice the one-way delays.
    EXPECT_NEAR(sample.rtt_seconds, first ? 0.02 : 0.06, 0.01);
    EXPECT_GT(sample.cwnd_bytes, 0u);
    EXPECT_EQ(sample.congestion_control,
              loop.client->congestion_control_name());
  }
  EXPECT_EQ(snapshot.totals.chunks_by_scheduler.size(), 1u);
  EXPECT_EQ(snapshot.totals.chunks_by_scheduler[loop.client->scheduler_name()],
            loop.client->stats().chunks_sent);
  EXPECT_GT(loop.client->stats().chunks_sent, 0u);
  EXPECT_EQ(snapshot.totals.fallbacks, 0u);
}

TEST(ConnectionTotalsTest, ClosedConnectionsKeepTheirCounts) {
  MptcpLoopback loop(MptcpConfig{}, MptcpConfig{});
  Establish(loop);
  // Losses make retransmissions to count.
  int seen = 0;
  loop.filter = [&](const MptcpLoopback::Packet& p, const wire::Segment&) {
    // Data segments only (pure ACKs are small): every tenth is lost.
    return !(p.from == 0 && p.bytes.size() > 200 && ++seen % 10 == 0);
  };
  ASSERT_TRUE(loop.Send(0, Bytes(300000), Seconds(30)));
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.apps[1].received.size() == 300000; }, Seconds(30)));
  loop.filter = nullptr;
  ASSERT_GT(loop.client->subflow(0).stats().segments_retransmitted, 0u);

  ConnectionTotals totals;
  const MptcpConnection* live[] = {loop.client.get(), loop.server.get()};
  const ConnectionCounters before = totals.Total(live);
  EXPECT_EQ(before.segments_retransmitted,
            loop.client->subflow(0).stats().segments_retransmitted +
                loop.server->subflow(0).stats().segments_retransmitted);
  EXPECT_EQ(before.bytes_retransmitted,
            loop.client->subflow(0).stats().bytes_retransmitted +
                loop.server->subflow(0).stats().bytes_retransmitted);

  // Released: the same totals from the closed part alone.
  totals.AddClosed(*loop.client);
  totals.AddClosed(*loop.server);
  const ConnectionCounters after = totals.Total({});
  EXPECT_EQ(after.segments_retransmitted, before.segments_retransmitted);
  EXPECT_EQ(after.bytes_retransmitted, before.bytes_retransmitted);
  EXPECT_EQ(after.chunks_by_scheduler, before.chunks_by_scheduler);
  EXPECT_EQ(totals.closed_connections(), 2u);

  MetricsSnapshot snapshot;
  totals.Collect({}, &snapshot);
  EXPECT_EQ(snapshot.subflows, 0u);
  EXPECT_EQ(snapshot.connections_established, 0u);
  EXPECT_EQ(snapshot.totals.bytes_retransmitted, before.bytes_retransmitted);
}

TEST(ConnectionTotalsTest, CountsFallbacks) {
  MptcpConfig server;
  server.enabled = false;
  MptcpLoopback loop(MptcpConfig{}, server);
  Establish(loop);
  ASSERT_TRUE(loop.client->fallback());
  ConnectionTotals totals;
  const MptcpConnection* live[] = {loop.client.get()};
  EXPECT_EQ(totals.Total(live).fallbacks, 1u);
}

}  // namespace
}  // namespace plait::metrics
