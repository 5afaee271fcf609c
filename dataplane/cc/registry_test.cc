#include "dataplane/cc/registry.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "dataplane/cc/congestion_control.h"
#include "dataplane/cc/coupled_group.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plait::cc {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(RegistryTest, Names) {
  EXPECT_THAT(CongestionControlNames(),
              ElementsAre("reno", "cubic", "lia", "olia", "balia"));
}

TEST(RegistryTest, IsCoupled) {
  EXPECT_FALSE(IsCoupled("reno"));
  EXPECT_FALSE(IsCoupled("cubic"));
  EXPECT_TRUE(IsCoupled("lia"));
  EXPECT_TRUE(IsCoupled("olia"));
  EXPECT_TRUE(IsCoupled("balia"));
  EXPECT_FALSE(IsCoupled("bbr"));
  EXPECT_FALSE(IsCoupled("LIA"));
}

TEST(RegistryTest, CreatesEachByName) {
  auto group = std::make_shared<CouplingGroup>();
  for (const std::string& name : CongestionControlNames()) {
    auto cc = CreateCongestionControl(name, 1460, kInitialWindowSegments,
                                      IsCoupled(name) ? group : nullptr);
    ASSERT_TRUE(cc.ok()) << cc.status();
    EXPECT_EQ((*cc)->name(), name);
    EXPECT_EQ((*cc)->congestion_window(), 14600u);
  }
  // The coupled ones joined the group and left it when destroyed.
  EXPECT_EQ(group->size(), 0u);
}

TEST(RegistryTest, CoupledJoinTheGroup) {
  auto group = std::make_shared<CouplingGroup>();
  auto lia = CreateCongestionControl("lia", 1000, 4, group);
  auto olia = CreateCongestionControl("olia", 1200, 3, group);
  auto balia = CreateCongestionControl("balia", 1000, 2, group);
  ASSERT_TRUE(lia.ok() && olia.ok() && balia.ok());
  EXPECT_EQ(group->size(), 3u);
  EXPECT_EQ(group->total_window(), 4000u + 3600u + 2000u);
  EXPECT_EQ((*olia)->congestion_window(), 3600u);
  olia->reset();
  EXPECT_EQ(group->size(), 2u);
}

TEST(RegistryTest, CoupledNeedAGroup) {
  for (const char* name : {"lia", "olia", "balia"}) {
    auto cc = CreateCongestionControl(name, 1460);
    ASSERT_FALSE(cc.ok()) << name;
    EXPECT_EQ(cc.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(cc.status().message(),
                HasSubstr(absl::StrCat("\"", name, "\"")));
    EXPECT_THAT(cc.status().message(), HasSubstr("CouplingGroup"));
  }
}

TEST(RegistryTest, UncoupledIgnoreTheGroup) {
  auto group = std::make_shared<CouplingGroup>();
  auto reno = CreateCongestionControl("reno", 1000, 4, group);
  auto cubic = CreateCongestionControl("cubic", 1000, 4, group);
  ASSERT_TRUE(reno.ok() && cubic.ok());
  EXPECT_EQ(group->size(), 0u);
}

TEST(RegistryTest, PassesMssAndInitialWindow) {
  auto reno = CreateCongestionControl("reno", 1000, 4);
  ASSERT_TRUE(reno.ok());
  EXPECT_STREQ((*reno)->name(), "reno");
  EXPECT_EQ((*reno)->congestion_window(), 4000u);
  auto cubic = CreateCongestionControl("cubic", 1200, 3);
  ASSERT_TRUE(cubic.ok());
  EXPECT_STREQ((*cubic)->name(), "cubic");
  EXPECT_EQ((*cubic)->congestion_window(), 3600u);
  // The objects are the real algorithms: Cubic keeps 70 %, Reno half.
  (*cubic)->OnCongestionEvent(Time(), 3600);
  EXPECT_EQ((*cubic)->congestion_window(), 2520u);
  (*reno)->OnCongestionEvent(Time(), 4000);
  EXPECT_EQ((*reno)->congestion_window(), 2000u);
}

TEST(RegistryTest, RejectsUnknownNameListingKnownOnes) {
  auto cc = CreateCongestionControl("bbr", 1460);
  ASSERT_FALSE(cc.ok());
  EXPECT_EQ(cc.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(cc.status().message(), HasSubstr("\"bbr\""));
  EXPECT_THAT(cc.status().message(),
              HasSubstr("known: reno, cubic, lia, olia, balia"));
  EXPECT_FALSE(CreateCongestionControl("Cubic", 1460).ok());
  EXPECT_FALSE(CreateCongestionControl("", 1460).ok());
}

TEST(RegistryTest, RejectsZeroMssOrWindow) {
  EXPECT_EQ(CreateCongestionControl("reno", 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateCongestionControl("cubic", 1460, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// A window other than the initial one, in congestion avoidance: grown in
// slow start, then reduced by a loss.
struct Handed {
  uint64_t cwnd;
  uint64_t ssthresh;
};
Handed RunAndReduce(CongestionControl& cc, Time now) {
  for (int i = 0; i < 20; ++i) {
    AckEvent ack;
    ack.now = now;
    ack.bytes_acked = 1000;
    ack.smoothed_rtt = Milliseconds(20);
    cc.OnAck(ack);
  }
  cc.OnCongestionEvent(now, cc.congestion_window());
  cc.OnRecoveryEnd(now);
  return {cc.congestion_window(), cc.slow_start_threshold()};
}

// Every algorithm takes over every other's window as it stands, and goes
// on from there in congestion avoidance (not back to slow start or to its
// initial window).
TEST(RegistryTest, EveryAlgorithmInheritsEveryOthersWindow) {
  for (const std::string& from : CongestionControlNames()) {
    for (const std::string& to : CongestionControlNames()) {
      SCOPED_TRACE(absl::StrCat(from, " -> ", to));
      auto group = std::make_shared<CouplingGroup>();
      auto old_cc = CreateCongestionControl(from, 1000, 10, group);
      ASSERT_TRUE(old_cc.ok());
      const Time t0 = Time() + Seconds(1);
      const Handed handed = RunAndReduce(**old_cc, t0);
      ASSERT_NE(handed.cwnd, 10'000u);
      ASSERT_FALSE((*old_cc)->InSlowStart());

      auto new_cc = CreateCongestionControl(to, 1000, 10, group);
      ASSERT_TRUE(new_cc.ok());
      (*new_cc)->InheritWindow(handed.cwnd, handed.ssthresh);
      old_cc->reset();
      EXPECT_EQ((*new_cc)->congestion_window(), handed.cwnd);
      EXPECT_EQ((*new_cc)->slow_start_threshold(), handed.ssthresh);
      EXPECT_FALSE((*new_cc)->InSlowStart());
      if (IsCoupled(to)) {
        // The connection's coupled sums see the inherited window.
        EXPECT_EQ(group->total_window(), handed.cwnd);
      }
      // One ACK of congestion avoidance grows it by well under one
      // segment per ACKed segment (slow start would add 1000 bytes).
      AckEvent ack;
      ack.now = t0 + Milliseconds(20);
      ack.bytes_acked = 1000;
      ack.smoothed_rtt = Milliseconds(20);
      ack.rtt_sample = Milliseconds(20);
      (*new_cc)->OnAck(ack);
      EXPECT_GE((*new_cc)->congestion_window(), handed.cwnd);
      EXPECT_LT((*new_cc)->congestion_window(), handed.cwnd + 1000);
      // Nothing from before the switch is undone.
      (*new_cc)->OnSpuriousTimeout(ack.now);
      EXPECT_LT((*new_cc)->congestion_window(), handed.cwnd + 1000);
    }
  }
}

TEST(RegistryTest, InheritedSlowStartContinuesUpToSsthresh) {
  auto group = std::make_shared<CouplingGroup>();
  for (const std::string& name : CongestionControlNames()) {
    SCOPED_TRACE(name);
    auto cc = CreateCongestionControl(name, 1000, 10, group);
    ASSERT_TRUE(cc.ok());
    // After a timeout elsewhere: 1 MSS, ssthresh 5 MSS.
    (*cc)->InheritWindow(1000, 5000);
    EXPECT_TRUE((*cc)->InSlowStart());
    AckEvent ack;
    ack.now = Time() + Seconds(1);
    ack.bytes_acked = 3000;
    ack.smoothed_rtt = Milliseconds(20);
    (*cc)->OnAck(ack);
    EXPECT_EQ((*cc)->congestion_window(), 3000u);  // + min(acked, 2 MSS)
    (*cc)->OnAck(ack);
    EXPECT_EQ((*cc)->congestion_window(), 5000u);  // capped at ssthresh
    EXPECT_FALSE((*cc)->InSlowStart());
  }
}

TEST(RegistryTest, InheritedWindowIsAtLeastOneSegment) {
  auto group = std::make_shared<CouplingGroup>();
  for (const std::string& name : CongestionControlNames()) {
    auto cc = CreateCongestionControl(name, 1000, 10, group);
    ASSERT_TRUE(cc.ok());
    (*cc)->InheritWindow(0, 4000);
    EXPECT_EQ((*cc)->congestion_window(), 1000u) << name;
    EXPECT_EQ((*cc)->slow_start_threshold(), 4000u) << name;
  }
}

}  // namespace
}  // namespace plait::cc
