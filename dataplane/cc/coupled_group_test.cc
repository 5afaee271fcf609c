#include "dataplane/cc/coupled_group.h"

#include <cstdint>
#include <memory>

#include "dataplane/base/time.h"
#include "dataplane/cc/congestion_control.h"
#include "dataplane/cc/coupled_controller.h"
#include "dataplane/cc/lia.h"
#include "gtest/gtest.h"

namespace plait::cc {
namespace {

constexpr uint64_t kMss = 1000;
const Time kT0 = TimeFromEpoch(Seconds(1));

TEST(CouplingGroupTest, JoinLeaveAndTotals) {
  CouplingGroup group;
  EXPECT_EQ(group.size(), 0u);
  const auto a = group.Join(10000);
  const auto b = group.Join(5000);
  EXPECT_NE(a, b);
  EXPECT_EQ(group.size(), 2u);
  EXPECT_EQ(group.total_window(), 15000u);
  EXPECT_EQ(group.members_with_rtt(), 0u);
  EXPECT_FALSE(group.member(a).has_rtt());

  group.SetSmoothedRtt(a, Milliseconds(10));
  group.SetSmoothedRtt(b, Duration(0));  // Ignored.
  EXPECT_EQ(group.members_with_rtt(), 1u);
  EXPECT_EQ(group.member(a).srtt, Milliseconds(10));
  group.SetSmoothedRtt(a, Duration(-5));  // Ignored: the last one stays.
  EXPECT_EQ(group.member(a).srtt, Milliseconds(10));

  group.SetWindow(b, 7000);
  EXPECT_EQ(group.total_window(), 17000u);
  group.Leave(a);
  EXPECT_FALSE(group.Contains(a));
  EXPECT_EQ(group.size(), 1u);
  EXPECT_EQ(group.members_with_rtt(), 0u);
  EXPECT_EQ(group.total_window(), 7000u);
  // Unknown ids are ignored, and ids are not reused.
  group.Leave(a);
  group.SetWindow(a, 1);
  group.AddBytesAcked(a, 1);
  group.RecordLoss(a);
  EXPECT_EQ(group.size(), 1u);
  const auto c = group.Join(1000);
  EXPECT_NE(c, a);
  EXPECT_NE(c, b);
}

TEST(CouplingGroupTest, LossPoints) {
  CouplingGroup group;
  const auto a = group.Join(10000);
  EXPECT_EQ(group.member(a).inter_loss_bytes(), 0u);
  group.AddBytesAcked(a, 5000);
  EXPECT_EQ(group.member(a).inter_loss_bytes(), 5000u);
  group.RecordLoss(a);  // loss1 = 0, loss2 = 5000.
  group.AddBytesAcked(a, 2000);
  EXPECT_EQ(group.member(a).inter_loss_bytes(), 5000u);
  group.RecordLoss(a);  // loss1 = 5000, loss2 = 7000.
  EXPECT_EQ(group.member(a).loss1, 5000u);
  EXPECT_EQ(group.member(a).loss2, 7000u);
  EXPECT_EQ(group.member(a).inter_loss_bytes(), 2000u);
  group.RecordLoss(a);  // Nothing acked since: no shift.
  EXPECT_EQ(group.member(a).loss1, 5000u);
  group.AddBytesAcked(a, 3000);
  EXPECT_EQ(group.member(a).inter_loss_bytes(), 3000u);
}

TEST(CoupledControllerTest, GroupOutlivesEveryHolder) {
  auto group = std::make_shared<CouplingGroup>();
  std::weak_ptr<CouplingGroup> weak = group;
  auto a = std::make_unique<Lia>(group, kMss);
  auto b = std::make_unique<Lia>(group, kMss);
  group.reset();  // The connection lets go first.
  ASSERT_FALSE(weak.expired());
  EXPECT_EQ(a->group().size(), 2u);
  a.reset();
  EXPECT_EQ(b->group().size(), 1u);
  b.reset();
  EXPECT_TRUE(weak.expired());
}

TEST(CoupledControllerTest, NullGroupIsPrivate) {
  Lia lia(nullptr, kMss);
  EXPECT_EQ(lia.group().size(), 1u);
  EXPECT_EQ(lia.group().member(lia.member_id()).cwnd, 10 * kMss);
}

TEST(CoupledControllerTest, PublishesWindowThroughTimeoutAndUndo) {
  auto group = std::make_shared<CouplingGroup>();
  Lia lia(group, kMss);
  const auto id = lia.member_id();
  AckEvent ack;
  ack.now = kT0;
  ack.bytes_acked = 2 * kMss;
  ack.smoothed_rtt = Milliseconds(10);
  lia.OnAck(ack);
  EXPECT_EQ(group->member(id).cwnd, 12000u);
  EXPECT_EQ(group->member(id).bytes_acked, 2000u);
  lia.OnRetransmissionTimeout(kT0, 12000);
  EXPECT_EQ(group->member(id).cwnd, kMss);
  EXPECT_EQ(group->member(id).loss2, 2000u);
  EXPECT_EQ(lia.slow_start_threshold(), 6000u);
  lia.OnSpuriousTimeout(kT0);
  EXPECT_EQ(lia.congestion_window(), 12000u);
  EXPECT_EQ(group->member(id).cwnd, 12000u);
  // Application-limited and recovery ACKs grow nothing but still count
  // bytes and RTT.
  ack.app_limited = true;
  ack.smoothed_rtt = Milliseconds(30);
  lia.OnAck(ack);
  EXPECT_EQ(lia.congestion_window(), 12000u);
  EXPECT_EQ(group->member(id).bytes_acked, 4000u);
  EXPECT_EQ(group->member(id).srtt, Milliseconds(30));
}

}  // namespace
}  // namespace plait::cc
