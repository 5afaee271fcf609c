// The sender's scoreboard: every segment sent and not yet cumulatively
// acknowledged, in sequence order, with its SACK, loss and retransmission
// marks, and the running totals that RFC 6675's "pipe" needs, so that no ACK
// has to walk the whole window.
//
// Losses are marked by RFC 6675's IsLost rule (DupThresh = 3 segments, or
// more than 2 * MSS bytes, SACKed above a hole), incrementally: a cursor
// remembers how far the rule has been applied and how much is SACKed above
// it. Without SACK, the engine marks losses itself (NewReno).
#ifndef PLAIT_DATAPLANE_TCP_SENT_SEGMENTS_H_
#define PLAIT_DATAPLANE_TCP_SENT_SEGMENTS_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "absl/types/span.h"
#include "dataplane/base/time.h"

namespace plait::tcp {

struct SentSegment {
  uint64_t begin = 0;  // relative sequence numbers, [begin, end)
  uint64_t end = 0;
  Time sent_time;
  bool sacked = false;
  bool lost = false;           // marked lost and not SACKed since
  bool retransmitted = false;  // sent more than once (Karn: no RTT sample)
  bool retransmit_in_flight = false;  // resent after its last loss mark
  // The highest sequence number sent when it was last resent: once data
  // above it is SACKed, the resent copy is lost too.
  uint64_t retransmit_fence = 0;
  uint64_t length() const { return end - begin; }
};

struct SackRange {
  uint64_t begin = 0;  // relative sequence numbers
  uint64_t end = 0;
};

class SentSegments {
 public:
  static constexpr int kDupThresh = 3;

  // A newly sent segment; `begin` must be the end of the last one.
  void Add(uint64_t begin, uint64_t end, Time now);

  struct AckResult {
    uint64_t newly_acked = 0;   // cumulatively, bytes
    uint64_t newly_sacked = 0;  // bytes
    // Send time of the newest segment acknowledged or SACKed by this ACK,
    // for an RTT sample; none if the ACK covers any resent segment (Karn).
    std::optional<Time> rtt_sample_sent_time;
  };
  // Applies a cumulative ACK (relative) and SACK blocks.
  AckResult Acknowledge(uint64_t cumulative_ack,
                        absl::Span<const SackRange> sack_blocks);

  // RFC 6675 IsLost, applied from the lowest unmarked hole upwards. Returns
  // the bytes newly marked lost.
  uint64_t MarkLostBySack(size_t mss);
  // Marks the first unacknowledged segment lost (NewReno, RTO-less repair).
  uint64_t MarkFirstLost();
  // After a retransmission timeout: every segment not SACKed is lost and no
  // retransmission is in flight any more.
  uint64_t MarkAllLost();

  // The lowest lost segment not yet retransmitted since marked, or null.
  const SentSegment* NextLost() const;
  // RFC 6675 NextSeg rule (3): the lowest segment starting at or above
  // `from` that is not SACKed, not marked lost, not being retransmitted and
  // lies wholly below the highest SACKed sequence number; null if none.
  const SentSegment* NextUnsackedBelowHighestSacked(uint64_t from) const;
  // RFC 6675 NextSeg rule (4), the rescue retransmission: the highest
  // segment not SACKed, or null if there is none or it is already marked
  // lost or being retransmitted (rule (1) or a retransmission covers it).
  const SentSegment* LastUnsacked() const;
  // Records that [begin, end) of a segment was sent again while the highest
  // sequence number sent was `snd_max`; splits the segment when only its
  // front was resent. A lost segment's copy replaces it in pipe; a segment
  // not marked lost (rules (3) and (4)) is then in the network twice, and
  // pipe counts both (RFC 6675 SetPipe (b)).
  void OnRetransmitted(uint64_t begin, uint64_t end, uint64_t snd_max,
                       Time now);

  bool empty() const { return head_ == records_.size(); }
  size_t count() const { return records_.size() - head_; }
  const SentSegment& front() const { return records_[head_]; }
  uint64_t outstanding_bytes() const { return outstanding_; }
  uint64_t sacked_bytes() const { return sacked_; }
  uint64_t lost_bytes() const { return lost_; }
  uint64_t retransmit_in_flight_bytes() const { return retransmitting_; }
  // RFC 6675's pipe: bytes believed to be in the network.
  uint64_t pipe() const {
    return outstanding_ - sacked_ - lost_ + retransmitting_;
  }
  // The highest sequence number SACKed (0 if none).
  uint64_t highest_sacked() const { return highest_sacked_; }

 private:
  size_t IndexOf(uint64_t seq) const;  // record containing seq, or size()
  void MarkSacked(SentSegment& r);
  void MarkLost(SentSegment& r);
  void Compact();
  // A retransmission is lost when data sent after it is SACKed (what Linux's
  // tcp_mark_lost_retrans did before RACK): it becomes due again.
  void DetectLostRetransmissions();

  std::vector<SentSegment> records_;
  size_t head_ = 0;  // records_[head_] is the oldest
  uint64_t outstanding_ = 0;
  uint64_t sacked_ = 0;
  uint64_t lost_ = 0;
  uint64_t retransmitting_ = 0;
  uint64_t highest_sacked_ = 0;
  // IsLost has been applied to every record below this sequence number;
  // sacked_above_* count the SACKed records at or above it.
  uint64_t loss_cursor_ = 0;
  uint64_t sacked_above_bytes_ = 0;
  uint64_t sacked_above_count_ = 0;
  // Every lost record below this sequence number has been retransmitted.
  uint64_t retransmit_cursor_ = 0;
  // Retransmissions in flight, in the order sent (so by fence): begin seq.
  std::deque<uint64_t> retransmissions_;
};

}  // namespace plait::tcp

#endif  // PLAIT_DATAPLANE_TCP_SENT_SEGMENTS_H_
