#include "dataplane/cc/balia.h"

#include <cstdint>
#include <memory>

#include "dataplane/base/time.h"
#include "dataplane/cc/congestion_control.h"
#include "dataplane/cc/coupled_controller.h"
#include "dataplane/cc/coupled_group.h"
#include "dataplane/cc/reno.h"
#include "gtest/gtest.h"

namespace plait::cc {
namespace {

constexpr uint64_t kMss = 1000;
const Time kT0 = TimeFromEpoch(Seconds(1));

AckEvent Ack(uint64_t bytes, Duration rtt) {
  AckEvent ack;
  ack.now = kT0;
  ack.bytes_acked = bytes;
  ack.rtt_sample = rtt;
  ack.smoothed_rtt = rtt;
  ack.min_rtt = rtt;
  return ack;
}

// Leaves `cc` in congestion avoidance with cwnd = ssthresh = `window`, then
// gives it its RTT (so the halving is Reno's whatever the group holds).
void EnterCongestionAvoidance(CongestionControl& cc, uint64_t window,
                              Duration rtt) {
  cc.OnCongestionEvent(kT0, 2 * window);
  cc.OnRecoveryEnd(kT0);
  cc.OnAck(Ack(0, rtt));
  ASSERT_EQ(cc.congestion_window(), window);
  ASSERT_FALSE(cc.InSlowStart());
}

// The paper's per-ACK increase in segments, with rates in segments / s:
// (x_r / (rtt_r (sum x)^2)) ((1 + alpha_r) / 2) ((4 + alpha_r) / 5).
double PaperIncreaseSegments(double w_r, double rtt_r, double x_max,
                             double sum_x) {
  const double x_r = w_r / rtt_r;
  const double alpha = x_max / x_r;
  return x_r / (rtt_r * sum_x * sum_x) * ((1 + alpha) / 2) * ((4 + alpha) / 5);
}

TEST(BaliaTest, NameAndInitialWindow) {
  Balia balia(std::make_shared<CouplingGroup>(), kMss, 4);
  EXPECT_STREQ(balia.name(), "balia");
  EXPECT_EQ(balia.congestion_window(), 4 * kMss);
}

TEST(BaliaTest, ReducedWindow) {
  EXPECT_EQ(BaliaReducedWindow(15001, 1.0), 7500u);  // Reno's W / 2.
  EXPECT_EQ(BaliaReducedWindow(15001, 0.5), 7500u);
  EXPECT_EQ(BaliaReducedWindow(16000, 1.25), 6000u);  // W (1 - 1.25 / 2)
  EXPECT_EQ(BaliaReducedWindow(16001, 1.5), 4000u);   // floor(16001 / 4)
  EXPECT_EQ(BaliaReducedWindow(16000, 3.0), 4000u);   // capped at 1.5
  EXPECT_EQ(BaliaReducedWindow(0, 2.0), 0u);
}

// x_a = 12500 B / 10 ms = 1.25e6 B/s, x_b = 10000 B / 10 ms = 1e6 B/s:
// alpha_b = 1.25, alpha_a = 1, sum x = 2.25e6.
//   b: 10 * 10000 * 2.25e6^2 / ((1e6 + 1.25e6)(4e6 + 1.25e6)) = 300000 / 7
//   a: 10 * 12500 * 2.25e6^2 / ((1.25e6 + 1.25e6)(5e6 + 1.25e6)) = 40500
// bytes acked per MSS of growth; on loss b keeps W (1 - 1.25 / 2).
TEST(BaliaTest, IncreaseAndDecreaseByHand) {
  auto group = std::make_shared<CouplingGroup>();
  Balia a(group, kMss);
  Balia b(group, kMss);
  EnterCongestionAvoidance(a, 12500, Milliseconds(10));
  EnterCongestionAvoidance(b, 10000, Milliseconds(10));
  EXPECT_DOUBLE_EQ(BaliaAlpha(*group, a.member_id()), 1.0);
  EXPECT_DOUBLE_EQ(BaliaAlpha(*group, b.member_id()), 1.25);
  EXPECT_NEAR(BaliaBytesPerMss(*group, b.member_id()), 300000.0 / 7, 1e-6);
  EXPECT_NEAR(BaliaBytesPerMss(*group, a.member_id()), 40500.0, 1e-6);
  // The same as the paper's form, in segments (w 10 and 12.5 segments).
  EXPECT_NEAR(kMss / BaliaBytesPerMss(*group, b.member_id()),
              PaperIncreaseSegments(10, 0.01, 1250, 2250), 1e-12);
  EXPECT_NEAR(kMss / BaliaBytesPerMss(*group, a.member_id()),
              PaperIncreaseSegments(12.5, 0.01, 1250, 2250), 1e-12);

  for (int i = 0; i < 42; ++i) b.OnAck(Ack(kMss, Milliseconds(10)));
  EXPECT_EQ(b.congestion_window(), 10000u);
  b.OnAck(Ack(kMss, Milliseconds(10)));
  EXPECT_EQ(b.congestion_window(), 11000u);
  EXPECT_NEAR(b.ca_accumulator(), 43000 - 300000.0 / 7, 1e-6);

  // Now x_b = 1.1e6: alpha_b = 1.25 / 1.1; b keeps
  // floor(W (1 - alpha_b / 2)) = floor(6909.09).
  b.OnCongestionEvent(kT0, 16000);
  EXPECT_EQ(b.slow_start_threshold(), 6909u);
  EXPECT_EQ(b.congestion_window(), 6909u);
  // a is the fastest: Reno's halving.
  a.OnCongestionEvent(kT0, 16001);
  EXPECT_EQ(a.congestion_window(), 8000u);
}

// RTTs 10 and 100 ms, windows 10000 and 20000: x = 1e6 and 2e5 B/s,
// alpha_slow = 5 (the decrease is capped at 1.5 W / 2 = 3 W / 4).
TEST(BaliaTest, SlowPathDecreasesByThreeQuarters) {
  auto group = std::make_shared<CouplingGroup>();
  Balia fast(group, kMss);
  Balia slow(group, kMss);
  EnterCongestionAvoidance(fast, 10000, Milliseconds(10));
  EnterCongestionAvoidance(slow, 20000, Milliseconds(100));
  EXPECT_DOUBLE_EQ(BaliaAlpha(*group, slow.member_id()), 5.0);
  // 10 * 20000 * 1.2e6^2 / ((2e5 + 1e6)(8e5 + 1e6)); 10 * 10000 * 1.44e12 /
  // (2e6 * 5e6).
  EXPECT_NEAR(BaliaBytesPerMss(*group, slow.member_id()), 400000.0 / 3, 1e-6);
  EXPECT_NEAR(BaliaBytesPerMss(*group, fast.member_id()), 14400.0, 1e-6);
  slow.OnCongestionEvent(kT0, 20000);
  EXPECT_EQ(slow.congestion_window(), 5000u);
  // A timeout uses the same decrease for ssthresh.
  fast.OnRetransmissionTimeout(kT0, 10000);
  EXPECT_EQ(fast.congestion_window(), kMss);
  EXPECT_EQ(fast.slow_start_threshold(), 5000u);
}

TEST(BaliaTest, SingleSubflowMatchesNewRenoEventByEvent) {
  constexpr uint64_t kOddMss = 1448;
  Balia balia(std::make_shared<CouplingGroup>(), kOddMss);
  NewReno reno(kOddMss);
  uint64_t seed = 99;
  auto next = [&seed] {
    seed = seed * 6364136223846793005u + 1442695040888963407u;
    return seed >> 33;
  };
  for (int step = 0; step < 20000; ++step) {
    const uint64_t r = next() % 1000;
    if (r < 3) {
      const uint64_t flight = balia.congestion_window() + next() % 3001;
      balia.OnCongestionEvent(kT0, flight);
      reno.OnCongestionEvent(kT0, flight);
    } else if (r < 4) {
      balia.OnRetransmissionTimeout(kT0, balia.congestion_window());
      reno.OnRetransmissionTimeout(kT0, reno.congestion_window());
    } else if (r < 5) {
      balia.OnSpuriousTimeout(kT0);
      reno.OnSpuriousTimeout(kT0);
    } else {
      AckEvent ack = Ack(1 + next() % (3 * kOddMss), Milliseconds(25));
      ack.in_recovery = r < 30;
      balia.OnAck(ack);
      reno.OnAck(ack);
    }
    ASSERT_EQ(balia.congestion_window(), reno.congestion_window()) << step;
    ASSERT_EQ(balia.slow_start_threshold(), reno.slow_start_threshold())
        << step;
  }
}

TEST(BaliaTest, MemberWithoutRttSampleAndMembershipChanges) {
  auto group = std::make_shared<CouplingGroup>();
  Balia a(group, kMss);
  EnterCongestionAvoidance(a, 10000, Milliseconds(10));
  auto b = std::make_unique<Balia>(group, kMss);
  b->OnCongestionEvent(kT0, 40000);  // CA at 20000, no RTT.
  EXPECT_EQ(BaliaAlpha(*group, b->member_id()), 1.0);
  EXPECT_EQ(BaliaBytesPerMss(*group, b->member_id()), 30000.0);
  EXPECT_EQ(BaliaBytesPerMss(*group, a.member_id()), 10000.0);
  b->OnCongestionEvent(kT0, 20000);  // Without an RTT: Reno's halving.
  EXPECT_EQ(b->congestion_window(), 10000u);
  // With an RTT of 100 ms, b is coupled: alpha_b = 1e6 / 1e5 = 10.
  b->OnAck(Ack(0, Milliseconds(100)));
  EXPECT_DOUBLE_EQ(BaliaAlpha(*group, b->member_id()), 10.0);
  EXPECT_GT(BaliaBytesPerMss(*group, a.member_id()), 10000.0);
  b.reset();
  EXPECT_EQ(group->size(), 1u);
  EXPECT_EQ(BaliaBytesPerMss(*group, a.member_id()), 10000.0);
  EXPECT_EQ(BaliaAlpha(*group, a.member_id()), 1.0);
}

}  // namespace
}  // namespace plait::cc
