#include "dataplane/tcp/sent_segments.h"

#include "gtest/gtest.h"

namespace plait::tcp {
namespace {

constexpr size_t kMss = 1000;

SentSegments TenSegments() {
  SentSegments sent;
  for (uint64_t i = 0; i < 10; ++i) {
    sent.Add(1 + i * kMss, 1 + (i + 1) * kMss, Time() + Milliseconds(i));
  }
  return sent;
}

TEST(SentSegmentsTest, CumulativeAckFreesAndSamplesTheNewest) {
  SentSegments sent = TenSegments();
  EXPECT_EQ(sent.outstanding_bytes(), 10 * kMss);
  EXPECT_EQ(sent.pipe(), 10 * kMss);
  const auto result = sent.Acknowledge(1 + 3 * kMss, {});
  EXPECT_EQ(result.newly_acked, 3 * kMss);
  ASSERT_TRUE(result.rtt_sample_sent_time.has_value());
  EXPECT_EQ(*result.rtt_sample_sent_time, Time() + Milliseconds(2));
  EXPECT_EQ(sent.count(), 7u);
  EXPECT_EQ(sent.front().begin, 1 + 3 * kMss);
}

// RFC 6675 NextSeg rules (3) and (4): holes below the highest SACK that
// IsLost has not marked, then the highest unSACKed segment.
TEST(SentSegmentsTest, UnsackedHolesBelowTheHighestSackAndTheLastOne) {
  SentSegments sent = TenSegments();
  // Segments 2 and 5 are holes; 0-1, 3-4 and 6 SACKed or acked; 7-9 out.
  sent.Acknowledge(1 + 2 * kMss, {{SackRange{1 + 3 * kMss, 1 + 5 * kMss},
                                   SackRange{1 + 6 * kMss, 1 + 7 * kMss}}});
  EXPECT_EQ(sent.MarkLostBySack(kMss), kMss);  // 2 only: 3 SACKed above
  ASSERT_NE(sent.NextLost(), nullptr);
  EXPECT_EQ(sent.NextLost()->begin, 1 + 2 * kMss);
  // 2 is marked lost (rule (1)'s); 5 is the rule (3) hole; 7-9 are above
  // the highest SACK.
  const SentSegment* hole = sent.NextUnsackedBelowHighestSacked(1);
  ASSERT_NE(hole, nullptr);
  EXPECT_EQ(hole->begin, 1 + 5 * kMss);
  EXPECT_EQ(sent.NextUnsackedBelowHighestSacked(2 + 5 * kMss), nullptr);
  ASSERT_NE(sent.LastUnsacked(), nullptr);
  EXPECT_EQ(sent.LastUnsacked()->begin, 1 + 9 * kMss);
  // Resending a segment not marked lost puts a second copy in the network:
  // pipe counts both (RFC 6675 SetPipe (b)); it is no longer a candidate.
  const uint64_t pipe = sent.pipe();
  sent.OnRetransmitted(1 + 5 * kMss, 1 + 6 * kMss, 1 + 10 * kMss, Time());
  EXPECT_EQ(sent.pipe(), pipe + kMss);
  EXPECT_EQ(sent.NextUnsackedBelowHighestSacked(1), nullptr);
  sent.OnRetransmitted(1 + 9 * kMss, 1 + 10 * kMss, 1 + 10 * kMss, Time());
  EXPECT_EQ(sent.pipe(), pipe + 2 * kMss);
  EXPECT_EQ(sent.LastUnsacked(), nullptr);  // being retransmitted
  // 5 is SACKed: neither copy counts any more.
  sent.Acknowledge(1 + 2 * kMss, {{SackRange{1 + 5 * kMss, 1 + 6 * kMss}}});
  EXPECT_EQ(sent.pipe(), pipe);
}

TEST(SentSegmentsTest, PartialAckTrimsTheFirstSegment) {
  SentSegments sent = TenSegments();
  const auto result = sent.Acknowledge(501, {});
  EXPECT_EQ(result.newly_acked, 500u);
  EXPECT_EQ(sent.front().begin, 501u);
  EXPECT_EQ(sent.outstanding_bytes(), 10 * kMss - 500);
}

// RFC 6675: a hole is lost once three segments above it are SACKed.
TEST(SentSegmentsTest, ThreeSackedSegmentsAboveAHoleMarkItLost) {
  SentSegments sent = TenSegments();
  // Segment 0 lost; 1 and 2 SACKed: not yet enough.
  sent.Acknowledge(1, {{SackRange{1 + kMss, 1 + 3 * kMss}}});
  EXPECT_EQ(sent.sacked_bytes(), 2 * kMss);
  EXPECT_EQ(sent.MarkLostBySack(kMss), 0u);
  EXPECT_EQ(sent.NextLost(), nullptr);
  // A third: segment 0 is lost, and only segment 0.
  sent.Acknowledge(1, {{SackRange{1 + kMss, 1 + 4 * kMss}}});
  EXPECT_EQ(sent.MarkLostBySack(kMss), kMss);
  ASSERT_NE(sent.NextLost(), nullptr);
  EXPECT_EQ(sent.NextLost()->begin, 1u);
  EXPECT_EQ(sent.lost_bytes(), kMss);
  // pipe = outstanding - sacked - lost = 10 - 3 - 1 segments.
  EXPECT_EQ(sent.pipe(), 6 * kMss);
  sent.OnRetransmitted(1, 1 + kMss, 1 + 10 * kMss, Time() + Milliseconds(50));
  EXPECT_EQ(sent.pipe(), 7 * kMss);
  EXPECT_EQ(sent.NextLost(), nullptr);
  // The retransmission arrives: everything up to the SACKed range is acked
  // and the retransmitted segment gives no RTT sample (Karn).
  const auto result = sent.Acknowledge(1 + 4 * kMss, {});
  EXPECT_EQ(result.newly_acked, kMss);
  EXPECT_FALSE(result.rtt_sample_sent_time.has_value());
  EXPECT_EQ(sent.sacked_bytes(), 0u);
  EXPECT_EQ(sent.lost_bytes(), 0u);
  EXPECT_EQ(sent.pipe(), 6 * kMss);
}

TEST(SentSegmentsTest, SeveralHolesAreMarkedInOrder) {
  SentSegments sent = TenSegments();
  // Holes at 0 and 2; SACKed 1, 3..9.
  sent.Acknowledge(1, {{SackRange{1 + kMss, 1 + 2 * kMss},
                        SackRange{1 + 3 * kMss, 1 + 10 * kMss}}});
  EXPECT_EQ(sent.MarkLostBySack(kMss), 2 * kMss);
  EXPECT_EQ(sent.NextLost()->begin, 1u);
  sent.OnRetransmitted(1, 1 + kMss, 1 + 10 * kMss, Time());
  EXPECT_EQ(sent.NextLost()->begin, 1 + 2 * kMss);
  sent.OnRetransmitted(1 + 2 * kMss, 1 + 3 * kMss, 1 + 10 * kMss, Time());
  EXPECT_EQ(sent.NextLost(), nullptr);
  EXPECT_EQ(sent.pipe(), 2 * kMss);  // the two retransmissions
}

TEST(SentSegmentsTest, TimeoutMarksEverythingUnsackedLost) {
  SentSegments sent = TenSegments();
  sent.Acknowledge(1, {{SackRange{1 + 5 * kMss, 1 + 6 * kMss}}});
  EXPECT_EQ(sent.MarkAllLost(), 9 * kMss);
  EXPECT_EQ(sent.pipe(), 0u);
  EXPECT_EQ(sent.NextLost()->begin, 1u);
  // A second timeout marks nothing new.
  EXPECT_EQ(sent.MarkAllLost(), 0u);
}

TEST(SentSegmentsTest, RetransmittingTheFrontSplitsTheSegment) {
  SentSegments sent = TenSegments();
  sent.MarkFirstLost();
  sent.OnRetransmitted(1, 401, 1 + 10 * kMss, Time());
  ASSERT_NE(sent.NextLost(), nullptr);
  EXPECT_EQ(sent.NextLost()->begin, 401u);
  EXPECT_EQ(sent.NextLost()->end, 1 + kMss);
  EXPECT_EQ(sent.count(), 11u);
  EXPECT_EQ(sent.outstanding_bytes(), 10 * kMss);
}

// A retransmission is itself lost once data sent after it is SACKed.
TEST(SentSegmentsTest, LostRetransmissionBecomesDueAgain) {
  SentSegments sent = TenSegments();
  sent.Acknowledge(1, {{SackRange{1 + kMss, 1 + 4 * kMss}}});
  sent.MarkLostBySack(kMss);
  sent.OnRetransmitted(1, 1 + kMss, 1 + 10 * kMss, Time());
  EXPECT_EQ(sent.NextLost(), nullptr);
  // SACKs of data sent before the retransmission say nothing about it.
  sent.Acknowledge(1, {{SackRange{1 + kMss, 1 + 10 * kMss}}});
  EXPECT_EQ(sent.NextLost(), nullptr);
  EXPECT_EQ(sent.retransmit_in_flight_bytes(), kMss);
  // New data sent after the retransmission is SACKed: it was lost.
  sent.Add(1 + 10 * kMss, 1 + 11 * kMss, Time());
  sent.Acknowledge(1, {{SackRange{1 + kMss, 1 + 11 * kMss}}});
  ASSERT_NE(sent.NextLost(), nullptr);
  EXPECT_EQ(sent.NextLost()->begin, 1u);
  EXPECT_EQ(sent.retransmit_in_flight_bytes(), 0u);
}

TEST(SentSegmentsTest, AnAckCoveringAResentSegmentGivesNoSample) {
  SentSegments sent = TenSegments();
  sent.MarkFirstLost();
  sent.OnRetransmitted(1, 1 + kMss, 1 + 10 * kMss, Time() + Seconds(5));
  // The ACK covers the resent segment and never-resent ones after it.
  const auto result = sent.Acknowledge(1 + 5 * kMss, {});
  EXPECT_EQ(result.newly_acked, 5 * kMss);
  EXPECT_FALSE(result.rtt_sample_sent_time.has_value());
}

TEST(SentSegmentsTest, LongRunsStayCompact) {
  SentSegments sent;
  uint64_t seq = 1;
  for (int i = 0; i < 100000; ++i) {
    sent.Add(seq, seq + kMss, Time());
    seq += kMss;
    if (i % 10 == 9) sent.Acknowledge(seq, {});
  }
  EXPECT_TRUE(sent.empty());
  EXPECT_EQ(sent.outstanding_bytes(), 0u);
}

}  // namespace
}  // namespace plait::tcp
