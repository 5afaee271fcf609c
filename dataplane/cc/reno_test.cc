#include "dataplane/cc/reno.h"

#include <cstdint>
#include <limits>

#include "dataplane/base/time.h"
#include "dataplane/cc/congestion_control.h"
#include "gtest/gtest.h"

namespace plait::cc {
namespace {

constexpr uint64_t kMss = 1000;
const Time kT0 = TimeFromEpoch(Seconds(1));

AckEvent Ack(uint64_t bytes, bool in_recovery = false,
             bool app_limited = false) {
  AckEvent ack;
  ack.now = kT0;
  ack.bytes_acked = bytes;
  ack.smoothed_rtt = Milliseconds(20);
  ack.min_rtt = Milliseconds(20);
  ack.in_recovery = in_recovery;
  ack.app_limited = app_limited;
  return ack;
}

// One round trip of a window-limited sender whose receiver ACKs every
// `bytes_per_ack` bytes (the window is a multiple of it in these tests).
void AckOneRound(NewReno& reno, uint64_t bytes_per_ack) {
  const uint64_t acks = reno.congestion_window() / bytes_per_ack;
  for (uint64_t i = 0; i < acks; ++i) reno.OnAck(Ack(bytes_per_ack));
}

// Leaves `reno` in congestion avoidance with cwnd = ssthresh = `window`.
void EnterCongestionAvoidance(NewReno& reno, uint64_t window) {
  reno.OnCongestionEvent(kT0, 2 * window);
  reno.OnRecoveryEnd(kT0);
  ASSERT_EQ(reno.congestion_window(), window);
  ASSERT_EQ(reno.slow_start_threshold(), window);
  ASSERT_FALSE(reno.InSlowStart());
}

TEST(NewRenoTest, InitialWindow) {
  NewReno reno(kMss);
  EXPECT_STREQ(reno.name(), "reno");
  EXPECT_EQ(reno.congestion_window(), 10 * kMss);
  EXPECT_EQ(reno.slow_start_threshold(), std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(reno.InSlowStart());
  EXPECT_EQ(NewReno(1460, 4).congestion_window(), 5840u);
}

TEST(NewRenoTest, SlowStartDoublesEachRoundWithDelayedAcks) {
  NewReno reno(kMss);
  const uint64_t expected[] = {20000, 40000, 80000, 160000, 320000};
  for (uint64_t want : expected) {
    AckOneRound(reno, 2 * kMss);
    EXPECT_EQ(reno.congestion_window(), want);
  }
}

TEST(NewRenoTest, SlowStartDoublesEachRoundWithAckPerSegment) {
  NewReno reno(kMss);
  AckOneRound(reno, kMss);
  EXPECT_EQ(reno.congestion_window(), 20000u);
  AckOneRound(reno, kMss);
  EXPECT_EQ(reno.congestion_window(), 40000u);
}

TEST(NewRenoTest, ByteCountingLimitIsTwoSegmentsPerAck) {
  NewReno reno(kMss);
  reno.OnAck(Ack(10 * kMss));  // A stretch ACK counts for L = 2 MSS.
  EXPECT_EQ(reno.congestion_window(), 12000u);
  reno.OnAck(Ack(500));  // Below L: the bytes themselves.
  EXPECT_EQ(reno.congestion_window(), 12500u);
  reno.OnAck(Ack(2 * kMss + 1));
  EXPECT_EQ(reno.congestion_window(), 14500u);
  reno.OnAck(Ack(0));  // A pure duplicate grows nothing.
  EXPECT_EQ(reno.congestion_window(), 14500u);
}

TEST(NewRenoTest, SlowStartStopsAtSsthresh) {
  NewReno reno(kMss);
  reno.OnRetransmissionTimeout(kT0, 40000);
  ASSERT_EQ(reno.slow_start_threshold(), 20000u);
  ASSERT_EQ(reno.congestion_window(), 1000u);
  for (int i = 0; i < 9; ++i) reno.OnAck(Ack(2 * kMss));
  EXPECT_EQ(reno.congestion_window(), 19000u);
  reno.OnAck(Ack(2 * kMss));  // Would be 21000.
  EXPECT_EQ(reno.congestion_window(), 20000u);
  EXPECT_FALSE(reno.InSlowStart());
}

TEST(NewRenoTest, CongestionAvoidanceGrowsOneSegmentPerRound) {
  NewReno reno(kMss);
  EnterCongestionAvoidance(reno, 20000);
  // The window grows on the round's last ACK, not before.
  for (int i = 0; i < 19; ++i) reno.OnAck(Ack(kMss));
  EXPECT_EQ(reno.congestion_window(), 20000u);
  reno.OnAck(Ack(kMss));
  EXPECT_EQ(reno.congestion_window(), 21000u);
  for (int round = 2; round <= 10; ++round) AckOneRound(reno, kMss);
  EXPECT_EQ(reno.congestion_window(), 30000u);
  for (int round = 11; round <= 100; ++round) AckOneRound(reno, kMss);
  EXPECT_EQ(reno.congestion_window(), 120000u);
}

TEST(NewRenoTest, CongestionAvoidanceCarriesRemainderWithoutDrift) {
  NewReno reno(kMss);
  EnterCongestionAvoidance(reno, 20000);
  // n increments need sum_{k<n} (20000 + 1000 k) = 20000 n + 500 n (n - 1)
  // acknowledged bytes: 188000 for n = 8, 216000 for n = 9. 100 ACKs of
  // 2000 bytes (200000) therefore give cwnd = 28000 with 12000 carried, and
  // the ninth increment comes exactly at the 108th ACK (216000 bytes).
  for (int i = 0; i < 100; ++i) reno.OnAck(Ack(2 * kMss));
  EXPECT_EQ(reno.congestion_window(), 28000u);
  for (int i = 100; i < 107; ++i) reno.OnAck(Ack(2 * kMss));
  EXPECT_EQ(reno.congestion_window(), 28000u);
  reno.OnAck(Ack(2 * kMss));
  EXPECT_EQ(reno.congestion_window(), 29000u);
}

TEST(NewRenoTest, StretchAckInCongestionAvoidanceCountsEveryWindow) {
  NewReno reno(kMss);
  EnterCongestionAvoidance(reno, 10000);
  // 10000 bytes grow cwnd to 11000, the next 11000 to 12000; 1000 remain,
  // so 11 more MSS complete the next 12000.
  reno.OnAck(Ack(22000));
  EXPECT_EQ(reno.congestion_window(), 12000u);
  for (int i = 0; i < 10; ++i) reno.OnAck(Ack(kMss));
  EXPECT_EQ(reno.congestion_window(), 12000u);
  reno.OnAck(Ack(kMss));
  EXPECT_EQ(reno.congestion_window(), 13000u);
}

TEST(NewRenoTest, CongestionEventHalvesFlight) {
  NewReno reno(kMss);
  AckOneRound(reno, 2 * kMss);
  AckOneRound(reno, 2 * kMss);
  ASSERT_EQ(reno.congestion_window(), 40000u);
  reno.OnCongestionEvent(kT0, 36000);  // Flight, not cwnd, is halved.
  EXPECT_EQ(reno.slow_start_threshold(), 18000u);
  EXPECT_EQ(reno.congestion_window(), 18000u);
  reno.OnCongestionEvent(kT0, 18000);
  EXPECT_EQ(reno.congestion_window(), 9000u);
  reno.OnCongestionEvent(kT0, 9001);
  EXPECT_EQ(reno.congestion_window(), 4500u);
}

TEST(NewRenoTest, CongestionEventFloorIsTwoSegments) {
  NewReno reno(kMss);
  reno.OnCongestionEvent(kT0, 3999);
  EXPECT_EQ(reno.slow_start_threshold(), 2000u);
  EXPECT_EQ(reno.congestion_window(), 2000u);
  reno.OnCongestionEvent(kT0, 0);
  EXPECT_EQ(reno.slow_start_threshold(), 2000u);
  EXPECT_EQ(reno.congestion_window(), 2000u);
  reno.OnCongestionEvent(kT0, 4002);
  EXPECT_EQ(reno.congestion_window(), 2001u);
}

TEST(NewRenoTest, TimeoutGoesToOneSegment) {
  NewReno reno(kMss);
  AckOneRound(reno, 2 * kMss);
  ASSERT_EQ(reno.congestion_window(), 20000u);
  reno.OnRetransmissionTimeout(kT0, 30000);
  EXPECT_EQ(reno.congestion_window(), 1000u);
  EXPECT_EQ(reno.slow_start_threshold(), 15000u);
  EXPECT_TRUE(reno.InSlowStart());
  reno.OnAck(Ack(kMss));
  EXPECT_EQ(reno.congestion_window(), 2000u);
}

TEST(NewRenoTest, TimeoutFloorIsTwoSegmentsForSsthresh) {
  NewReno reno(kMss);
  reno.OnRetransmissionTimeout(kT0, 1000);
  EXPECT_EQ(reno.slow_start_threshold(), 2000u);
  EXPECT_EQ(reno.congestion_window(), 1000u);
}

TEST(NewRenoTest, RepeatedTimeoutKeepsSsthresh) {
  NewReno reno(kMss);
  reno.OnRetransmissionTimeout(kT0, 30000);
  ASSERT_EQ(reno.slow_start_threshold(), 15000u);
  // The same segment times out again: RFC 5681 section 3.1 holds ssthresh.
  reno.OnRetransmissionTimeout(kT0, 1000);
  EXPECT_EQ(reno.slow_start_threshold(), 15000u);
  EXPECT_EQ(reno.congestion_window(), 1000u);
  // After progress a timeout is a new one.
  reno.OnAck(Ack(kMss));
  reno.OnRetransmissionTimeout(kT0, 5000);
  EXPECT_EQ(reno.slow_start_threshold(), 2500u);
  EXPECT_EQ(reno.congestion_window(), 1000u);
}

TEST(NewRenoTest, NoGrowthInRecoveryOrWhenApplicationLimited) {
  NewReno reno(kMss);
  reno.OnAck(Ack(2 * kMss, /*in_recovery=*/true));
  reno.OnAck(Ack(2 * kMss, /*in_recovery=*/false, /*app_limited=*/true));
  EXPECT_EQ(reno.congestion_window(), 10000u);

  EnterCongestionAvoidance(reno, 20000);
  for (int i = 0; i < 19; ++i) reno.OnAck(Ack(kMss));
  for (int i = 0; i < 50; ++i) {
    reno.OnAck(Ack(kMss, /*in_recovery=*/true));
    reno.OnAck(Ack(kMss, /*in_recovery=*/false, /*app_limited=*/true));
  }
  // Those ACKs did not count towards the window's worth of bytes either.
  EXPECT_EQ(reno.congestion_window(), 20000u);
  reno.OnAck(Ack(kMss));
  EXPECT_EQ(reno.congestion_window(), 21000u);
}

TEST(NewRenoTest, SpuriousTimeoutRestoresWindow) {
  NewReno reno(kMss);
  EnterCongestionAvoidance(reno, 20000);
  for (int i = 0; i < 5; ++i) reno.OnAck(Ack(kMss));
  reno.OnRetransmissionTimeout(kT0, 20000);
  ASSERT_EQ(reno.congestion_window(), 1000u);
  ASSERT_EQ(reno.slow_start_threshold(), 10000u);
  reno.OnAck(Ack(kMss));
  ASSERT_EQ(reno.congestion_window(), 2000u);

  reno.OnSpuriousTimeout(kT0);
  EXPECT_EQ(reno.congestion_window(), 20000u);
  EXPECT_EQ(reno.slow_start_threshold(), 20000u);
  // The bytes counted before the timeout still count: 15 more grow it.
  for (int i = 0; i < 14; ++i) reno.OnAck(Ack(kMss));
  EXPECT_EQ(reno.congestion_window(), 20000u);
  reno.OnAck(Ack(kMss));
  EXPECT_EQ(reno.congestion_window(), 21000u);

  // Nothing left to undo.
  reno.OnSpuriousTimeout(kT0);
  EXPECT_EQ(reno.congestion_window(), 21000u);
  EXPECT_EQ(reno.slow_start_threshold(), 20000u);
}

TEST(NewRenoTest, SpuriousUndoAfterRepeatedTimeoutsRestoresTheFirst) {
  NewReno reno(kMss);
  AckOneRound(reno, 2 * kMss);
  ASSERT_EQ(reno.congestion_window(), 20000u);
  reno.OnRetransmissionTimeout(kT0, 20000);
  reno.OnRetransmissionTimeout(kT0, 1000);
  reno.OnSpuriousTimeout(kT0);
  EXPECT_EQ(reno.congestion_window(), 20000u);
  EXPECT_EQ(reno.slow_start_threshold(), std::numeric_limits<uint64_t>::max());
}

TEST(NewRenoTest, NoUndoAcrossCongestionEvent) {
  NewReno reno(kMss);
  AckOneRound(reno, 2 * kMss);
  reno.OnRetransmissionTimeout(kT0, 20000);
  reno.OnAck(Ack(kMss));
  reno.OnCongestionEvent(kT0, 2000);
  reno.OnSpuriousTimeout(kT0);
  EXPECT_EQ(reno.congestion_window(), 2000u);
  EXPECT_EQ(reno.slow_start_threshold(), 2000u);
}

TEST(NewRenoTest, SpuriousWithoutTimeoutDoesNothing) {
  NewReno reno(kMss);
  reno.OnSpuriousTimeout(kT0);
  EXPECT_EQ(reno.congestion_window(), 10000u);
}

}  // namespace
}  // namespace plait::cc
