// CloseFast: the application's close ends the connection with
// MP_FASTCLOSE once everything it wrote is DATA_ACKed.
#include <vector>

#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/mptcp/testing/mptcp_loopback.h"
#include "gtest/gtest.h"

namespace plait::mptcp {
namespace {

using mptcp_testing::MptcpLoopback;
using mptcp_testing::Pattern;

TEST(MptcpFastCloseTest, EndsWithFastcloseOnceEverythingIsAcked) {
  MptcpLoopback loop(MptcpConfig{}, MptcpConfig{});
  loop.Connect();
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.apps[0].established && loop.apps[1].established; },
      Seconds(5)));
  const auto data = Pattern(300000, 3);
  ASSERT_TRUE(loop.Send(0, data, Seconds(5)));
  loop.client->CloseFast(loop.now);
  // Nothing more is taken once closing.
  const std::vector<uint8_t> more(10, 1);
  EXPECT_EQ(loop.client->Write(more, loop.now), 0u);
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.apps[0].closed && loop.apps[1].closed; }, Seconds(10)));
  // Every byte arrived first, then the connection ended at once: aborted
  // here, MP_FASTCLOSE received there; no DATA_FIN was exchanged.
  EXPECT_EQ(loop.apps[1].received, data);
  EXPECT_EQ(loop.apps[0].close_reason, MptcpCloseReason::kAborted);
  EXPECT_EQ(loop.apps[1].close_reason, MptcpCloseReason::kFastclose);
  EXPECT_FALSE(loop.server->AtEndOfStream());
}

TEST(MptcpFastCloseTest, WithNothingOutstandingItIsImmediate) {
  MptcpLoopback loop(MptcpConfig{}, MptcpConfig{});
  loop.Connect();
  ASSERT_TRUE(loop.RunUntil(
      [&] { return loop.apps[0].established && loop.apps[1].established; },
      Seconds(5)));
  loop.client->CloseFast(loop.now);
  EXPECT_TRUE(loop.client->closed());
  ASSERT_TRUE(loop.RunUntil([&] { return loop.apps[1].closed; }, Seconds(2)));
  EXPECT_EQ(loop.apps[1].close_reason, MptcpCloseReason::kFastclose);
}

}  // namespace
}  // namespace plait::mptcp
