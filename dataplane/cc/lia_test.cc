#include "dataplane/cc/lia.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

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

// Gives `cc` an RTT and leaves it in congestion avoidance with
// cwnd = ssthresh = `window`.
void EnterCongestionAvoidance(CongestionControl& cc, uint64_t window,
                              Duration rtt) {
  cc.OnAck(Ack(0, rtt));
  cc.OnCongestionEvent(kT0, 2 * window);
  cc.OnRecoveryEnd(kT0);
  ASSERT_EQ(cc.congestion_window(), window);
  ASSERT_FALSE(cc.InSlowStart());
}

TEST(LiaTest, NameAndInitialWindow) {
  auto group = std::make_shared<CouplingGroup>();
  Lia lia(group, kMss);
  EXPECT_STREQ(lia.name(), "lia");
  EXPECT_EQ(lia.congestion_window(), 10 * kMss);
  EXPECT_TRUE(lia.InSlowStart());
  EXPECT_EQ(group->size(), 1u);
  EXPECT_EQ(group->member(lia.member_id()).cwnd, 10 * kMss);
}

TEST(LiaTest, AlphaIsOneWithOneSubflow) {
  auto group = std::make_shared<CouplingGroup>();
  Lia lia(group, kMss);
  EXPECT_EQ(LiaAlpha(*group), 1.0);  // No RTT yet.
  EnterCongestionAvoidance(lia, 17 * kMss, Milliseconds(30));
  EXPECT_EQ(LiaAlpha(*group), 1.0);
  EXPECT_EQ(LiaBytesPerMss(*group, lia.member_id()), 17000.0);
}

// RFC 6356: with one subflow alpha = 1 and LIA is Reno. One MSS per round
// when the receiver ACKs every segment: 10000 + N * 1000 after N rounds.
TEST(LiaTest, SingleSubflowGrowsLikeRenoRoundByRound) {
  Lia lia(std::make_shared<CouplingGroup>(), kMss);
  EnterCongestionAvoidance(lia, 10 * kMss, Milliseconds(20));
  for (uint64_t round = 1; round <= 50; ++round) {
    const uint64_t acks = lia.congestion_window() / kMss;
    for (uint64_t i = 0; i < acks; ++i) lia.OnAck(Ack(kMss, Milliseconds(20)));
    EXPECT_EQ(lia.congestion_window(), (10 + round) * kMss) << round;
  }
  EXPECT_EQ(lia.congestion_window(), 60000u);
}

// The same ACK stream (odd sizes, stretch ACKs, losses, a timeout and its
// undo, recovery and application-limited ACKs) gives NewReno's window after
// every event.
TEST(LiaTest, SingleSubflowMatchesNewRenoEventByEvent) {
  constexpr uint64_t kOddMss = 1460;
  Lia lia(std::make_shared<CouplingGroup>(), kOddMss);
  NewReno reno(kOddMss);
  uint64_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 6364136223846793005u + 1442695040888963407u;
    return seed >> 33;
  };
  for (int step = 0; step < 20000; ++step) {
    const uint64_t r = next() % 1000;
    if (r < 3) {
      const uint64_t cut = next() % 3000;
      const uint64_t cwnd = lia.congestion_window();
      const uint64_t flight = cwnd > cut ? cwnd - cut : cwnd;
      lia.OnCongestionEvent(kT0, flight);
      reno.OnCongestionEvent(kT0, flight);
    } else if (r < 4) {
      lia.OnRetransmissionTimeout(kT0, lia.congestion_window());
      reno.OnRetransmissionTimeout(kT0, reno.congestion_window());
    } else if (r < 5) {
      lia.OnSpuriousTimeout(kT0);
      reno.OnSpuriousTimeout(kT0);
    } else {
      AckEvent ack = Ack(1 + next() % (3 * kOddMss), Milliseconds(25));
      ack.in_recovery = r < 30;
      ack.app_limited = r >= 30 && r < 40;
      lia.OnAck(ack);
      reno.OnAck(ack);
    }
    ASSERT_EQ(lia.congestion_window(), reno.congestion_window()) << step;
    ASSERT_EQ(lia.slow_start_threshold(), reno.slow_start_threshold()) << step;
  }
}

TEST(LiaTest, SlowStartAndLossAreReno) {
  auto group = std::make_shared<CouplingGroup>();
  Lia a(group, kMss);
  Lia b(group, kMss);
  b.OnAck(Ack(0, Milliseconds(5)));
  a.OnAck(Ack(5 * kMss, Milliseconds(50)));  // L = 2 MSS.
  EXPECT_EQ(a.congestion_window(), 12000u);
  a.OnAck(Ack(700, Milliseconds(50)));
  EXPECT_EQ(a.congestion_window(), 12700u);
  a.OnCongestionEvent(kT0, 12001);
  EXPECT_EQ(a.congestion_window(), 6000u);
  EXPECT_EQ(a.slow_start_threshold(), 6000u);
  a.OnCongestionEvent(kT0, 3000);
  EXPECT_EQ(a.congestion_window(), 2 * kMss);
  a.OnRetransmissionTimeout(kT0, 9000);
  EXPECT_EQ(a.congestion_window(), kMss);
  EXPECT_EQ(a.slow_start_threshold(), 4500u);
  EXPECT_EQ(group->member(a.member_id()).cwnd, kMss);
}

// Equal RTTs and equal windows w: alpha = w_total * (w / r^2) / (w_total /
// r)^2 = w / w_total = 1/2, and each subflow needs w_total / alpha =
// 4 w bytes acked per MSS. Per RTT each acks w bytes, so the connection grows
// by 2 * w * MSS / (4 w) = MSS / 2 per RTT: no more than one Reno flow's
// MSS per RTT (RFC 6356's goal 1; the other half comes back through the
// halving of only one subflow's window per loss, see the equilibrium test).
TEST(LiaTest, EqualRttsTotalIncreaseIsAlphaMssPerRtt) {
  auto group = std::make_shared<CouplingGroup>();
  Lia a(group, kMss);
  Lia b(group, kMss);
  EnterCongestionAvoidance(a, 10 * kMss, Milliseconds(40));
  EnterCongestionAvoidance(b, 10 * kMss, Milliseconds(40));
  EXPECT_DOUBLE_EQ(LiaAlpha(*group), 0.5);
  EXPECT_DOUBLE_EQ(LiaBytesPerMss(*group, a.member_id()), 40000.0);
  EXPECT_DOUBLE_EQ(LiaBytesPerMss(*group, b.member_id()), 40000.0);

  // Four RTTs, ACK per segment, alternating: 40 segments each.
  for (int i = 0; i < 40; ++i) {
    a.OnAck(Ack(kMss, Milliseconds(40)));
    if (i < 39) b.OnAck(Ack(kMss, Milliseconds(40)));
  }
  // a grew after 40000 bytes; b, now weighed against a's 11000, needs
  // 21000^2 / 11000 = 40090.9 bytes: its 40th segment is not enough.
  EXPECT_EQ(a.congestion_window(), 11000u);
  b.OnAck(Ack(kMss, Milliseconds(40)));
  EXPECT_EQ(b.congestion_window(), 10000u);
  EXPECT_DOUBLE_EQ(b.ca_accumulator(), 40000.0);
  b.OnAck(Ack(kMss, Milliseconds(40)));
  EXPECT_EQ(b.congestion_window(), 11000u);
  EXPECT_NEAR(b.ca_accumulator(), 41000.0 - 21000.0 * 21000.0 / 11000.0, 1e-6);
  // Together 2 MSS in 4 RTTs where one Reno flow of either window grows 4.
  EXPECT_EQ(a.congestion_window() + b.congestion_window(), 22000u);

  // Unequal windows, equal RTTs: alpha = max / total and the total
  // increase per RTT is alpha * MSS, below one MSS.
  auto group2 = std::make_shared<CouplingGroup>();
  Lia c(group2, kMss);
  Lia d(group2, kMss);
  EnterCongestionAvoidance(c, 30 * kMss, Milliseconds(10));
  EnterCongestionAvoidance(d, 10 * kMss, Milliseconds(10));
  EXPECT_DOUBLE_EQ(LiaAlpha(*group2), 0.75);
  const double per_rtt =
      30000.0 * kMss / LiaBytesPerMss(*group2, c.member_id()) +
      10000.0 * kMss / LiaBytesPerMss(*group2, d.member_id());
  EXPECT_DOUBLE_EQ(per_rtt, 0.75 * kMss);
}

// RTTs 10 ms and 100 ms, windows 10000 and 20000 bytes:
//   max_i w_i / rtt_i^2 = max(10000 / 0.01^2, 20000 / 0.1^2) = 1e8
//   sum_i w_i / rtt_i = 10000 / 0.01 + 20000 / 0.1 = 1.2e6
//   alpha = 30000 * 1e8 / 1.44e12 = 25 / 12
// so the fast subflow needs 30000 / alpha = 14400 bytes per MSS, and the
// slow one min(alpha/total, 1/w_2) picks Reno's 20000.
TEST(LiaTest, AlphaWithRtts10And100Milliseconds) {
  auto group = std::make_shared<CouplingGroup>();
  Lia fast(group, kMss);
  Lia slow(group, kMss);
  EnterCongestionAvoidance(fast, 10000, Milliseconds(10));
  EnterCongestionAvoidance(slow, 20000, Milliseconds(100));
  EXPECT_NEAR(LiaAlpha(*group), 25.0 / 12.0, 1e-12);
  EXPECT_NEAR(LiaBytesPerMss(*group, fast.member_id()), 14400.0, 1e-6);
  EXPECT_EQ(LiaBytesPerMss(*group, slow.member_id()), 20000.0);

  for (int i = 0; i < 14; ++i) fast.OnAck(Ack(kMss, Milliseconds(10)));
  EXPECT_EQ(fast.congestion_window(), 10000u);
  fast.OnAck(Ack(kMss, Milliseconds(10)));
  EXPECT_EQ(fast.congestion_window(), 11000u);
  EXPECT_NEAR(fast.ca_accumulator(), 600.0, 1e-6);

  for (int i = 0; i < 19; ++i) slow.OnAck(Ack(kMss, Milliseconds(100)));
  EXPECT_EQ(slow.congestion_window(), 20000u);
  slow.OnAck(Ack(kMss, Milliseconds(100)));
  EXPECT_EQ(slow.congestion_window(), 21000u);
  EXPECT_EQ(slow.ca_accumulator(), 0.0);
}

TEST(LiaTest, MemberWithoutRttSample) {
  auto group = std::make_shared<CouplingGroup>();
  Lia a(group, kMss);
  Lia b(group, kMss);
  EnterCongestionAvoidance(a, 10000, Milliseconds(20));
  // b is in congestion avoidance without ever having had an RTT.
  b.OnCongestionEvent(kT0, 60000);
  ASSERT_EQ(b.congestion_window(), 30000u);
  ASSERT_FALSE(group->member(b.member_id()).has_rtt());
  // b takes no part in a's sums: a alone is Reno.
  EXPECT_EQ(LiaAlpha(*group), 1.0);
  EXPECT_EQ(LiaBytesPerMss(*group, a.member_id()), 10000.0);
  // b grows by one MSS per total window (40000 bytes).
  EXPECT_EQ(LiaBytesPerMss(*group, b.member_id()), 40000.0);
  AckEvent no_rtt = Ack(kMss, Duration(0));
  for (int i = 0; i < 39; ++i) b.OnAck(no_rtt);
  EXPECT_EQ(b.congestion_window(), 30000u);
  b.OnAck(no_rtt);
  EXPECT_EQ(b.congestion_window(), 31000u);
  // With an RTT, b joins the sums: equal RTTs, alpha = 31000 / 41000.
  b.OnAck(Ack(0, Milliseconds(20)));
  EXPECT_DOUBLE_EQ(LiaAlpha(*group), 31000.0 / 41000.0);
  EXPECT_NEAR(LiaBytesPerMss(*group, a.member_id()), 41000.0 * 41000 / 31000,
              1e-6);
}

TEST(LiaTest, RttFallsBackToMinRttThenSample) {
  auto group = std::make_shared<CouplingGroup>();
  Lia a(group, kMss);
  AckEvent ack;
  ack.rtt_sample = Milliseconds(7);
  a.OnAck(ack);
  EXPECT_EQ(group->member(a.member_id()).srtt, Milliseconds(7));
  ack.min_rtt = Milliseconds(5);
  a.OnAck(ack);
  EXPECT_EQ(group->member(a.member_id()).srtt, Milliseconds(5));
  ack.smoothed_rtt = Milliseconds(9);
  a.OnAck(ack);
  EXPECT_EQ(group->member(a.member_id()).srtt, Milliseconds(9));
  a.OnAck(AckEvent());  // No RTT at all: the last one stays.
  EXPECT_EQ(group->member(a.member_id()).srtt, Milliseconds(9));
}

TEST(LiaTest, MembersJoinAndLeaveMidway) {
  auto group = std::make_shared<CouplingGroup>();
  Lia a(group, kMss);
  EnterCongestionAvoidance(a, 10000, Milliseconds(20));
  std::optional<Lia> b;
  b.emplace(group, kMss);
  EnterCongestionAvoidance(*b, 10000, Milliseconds(20));
  EXPECT_EQ(LiaBytesPerMss(*group, a.member_id()), 40000.0);
  for (int i = 0; i < 15; ++i) a.OnAck(Ack(kMss, Milliseconds(20)));
  EXPECT_EQ(a.congestion_window(), 10000u);
  EXPECT_EQ(a.ca_accumulator(), 15000.0);

  // b goes away: a is alone, Reno again, and its 15000 acked bytes already
  // cover its 10000-byte window.
  b.reset();
  EXPECT_EQ(group->size(), 1u);
  EXPECT_EQ(LiaBytesPerMss(*group, a.member_id()), 10000.0);
  a.OnAck(Ack(kMss, Milliseconds(20)));
  EXPECT_EQ(a.congestion_window(), 11000u);
  EXPECT_EQ(a.ca_accumulator(), 6000.0);

  // c joins in slow start without an RTT: a is still alone in the sums,
  // and c's slow start is Reno's.
  Lia c(group, kMss);
  EXPECT_EQ(group->size(), 2u);
  EXPECT_EQ(LiaBytesPerMss(*group, a.member_id()), 11000.0);
  c.OnAck(Ack(2 * kMss, Duration(0)));
  EXPECT_EQ(c.congestion_window(), 12000u);
  EXPECT_EQ(LiaBytesPerMss(*group, a.member_id()), 11000.0);
  // c's first RTT couples them: equal RTTs, alpha = 14000 / 25000.
  c.OnAck(Ack(2 * kMss, Milliseconds(20)));
  EXPECT_EQ(c.congestion_window(), 14000u);
  EXPECT_NEAR(LiaBytesPerMss(*group, a.member_id()), 25000.0 * 25000 / 14000,
              1e-6);
  // a's window in the group follows a.
  EXPECT_EQ(group->member(a.member_id()).cwnd, 11000u);
}

// A deterministic model of a shared bottleneck: per-RTT rounds, every
// subflow with the same RTT and the same per-packet loss rate (one loss every
// `n` packets). Returns the average of the connection's total window over the
// rounds after the warm-up, in segments.
double AverageTotalWindow(std::vector<CongestionControl*> flows, uint64_t n,
                          int rounds, int warmup) {
  std::vector<uint64_t> since_loss(flows.size(), 0);
  double sum = 0;
  const Duration rtt = Milliseconds(50);
  for (int round = 0; round < rounds; ++round) {
    uint64_t total = 0;
    for (size_t f = 0; f < flows.size(); ++f) {
      CongestionControl& cc = *flows[f];
      const uint64_t window = cc.congestion_window();
      total += window;
      bool lost = false;
      for (uint64_t sent = 0; sent + kMss <= window; sent += kMss) {
        if (lost) continue;  // The rest of the round is recovery.
        if (++since_loss[f] == n) {
          since_loss[f] = 0;
          lost = true;
          cc.OnCongestionEvent(kT0, window);
          continue;
        }
        cc.OnAck(Ack(kMss, rtt));
      }
      if (lost) cc.OnRecoveryEnd(kT0);
    }
    if (round >= warmup) sum += static_cast<double>(total) / kMss;
  }
  return sum / (rounds - warmup);
}

// RFC 6356's goal: on a shared bottleneck the connection takes no more than
// one TCP flow would. Two LIA subflows average the window of one Reno flow;
// two uncoupled Reno flows average sqrt(2) times it.
TEST(LiaTest, TwoSubflowsOnSharedBottleneckTakeOneRenoShare) {
  constexpr uint64_t kLossEvery = 1000;
  NewReno alone(kMss);
  const double reno = AverageTotalWindow({&alone}, kLossEvery, 40000, 4000);
  // sqrt(3 N / 2) for a deterministic sawtooth.
  EXPECT_NEAR(reno, 38.7, 1.5);

  auto group = std::make_shared<CouplingGroup>();
  Lia a(group, kMss);
  Lia b(group, kMss);
  const double lia = AverageTotalWindow({&a, &b}, kLossEvery, 40000, 4000);
  EXPECT_NEAR(lia / reno, 1.0, 0.03) << lia << " vs " << reno;

  NewReno r1(kMss);
  NewReno r2(kMss);
  const double uncoupled =
      AverageTotalWindow({&r1, &r2}, kLossEvery, 40000, 4000);
  EXPECT_NEAR(uncoupled / reno, 2.0, 0.1);
}

}  // namespace
}  // namespace plait::cc
