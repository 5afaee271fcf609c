#include "dataplane/tcp/sent_segments.h"

#include <algorithm>

namespace plait::tcp {

void SentSegments::Add(uint64_t begin, uint64_t end, Time now) {
  if (empty()) {
    loss_cursor_ = std::max(loss_cursor_, begin);
    retransmit_cursor_ = std::max(retransmit_cursor_, begin);
  }
  records_.push_back(SentSegment{.begin = begin, .end = end, .sent_time = now});
  outstanding_ += end - begin;
}

size_t SentSegments::IndexOf(uint64_t seq) const {
  // Records are contiguous and sorted: binary search on begin.
  auto it = std::upper_bound(
      records_.begin() + head_, records_.end(), seq,
      [](uint64_t s, const SentSegment& r) { return s < r.begin; });
  if (it == records_.begin() + head_) return records_.size();
  const size_t index = static_cast<size_t>(it - records_.begin()) - 1;
  return seq < records_[index].end ? index : records_.size();
}

void SentSegments::MarkSacked(SentSegment& r) {
  r.sacked = true;
  sacked_ += r.length();
  if (r.lost) {
    r.lost = false;
    lost_ -= r.length();
  }
  if (r.retransmit_in_flight) {
    r.retransmit_in_flight = false;
    retransmitting_ -= r.length();
  }
  if (r.begin >= loss_cursor_) {
    sacked_above_bytes_ += r.length();
    ++sacked_above_count_;
  }
  highest_sacked_ = std::max(highest_sacked_, r.end);
}

void SentSegments::MarkLost(SentSegment& r) {
  if (r.sacked || r.lost) return;
  r.lost = true;
  lost_ += r.length();
  if (r.retransmit_in_flight) {
    r.retransmit_in_flight = false;
    retransmitting_ -= r.length();
  }
  retransmit_cursor_ = std::min(retransmit_cursor_, r.begin);
}

SentSegments::AckResult SentSegments::Acknowledge(
    uint64_t cumulative_ack, absl::Span<const SackRange> sack_blocks) {
  AckResult result;
  // Karn's rule over the whole ACK: if it covers any resent segment, the
  // ACK may have been caused by the resent copy, so no segment it covers
  // gives a trustworthy sample (a segment delivered before an outage whose
  // ACK was lost would otherwise give an RTT as long as the outage).
  bool covers_retransmission = false;
  auto consider_sample = [&](const SentSegment& r) {
    if (r.retransmitted) covers_retransmission = true;
    if (r.retransmitted) return;
    if (!result.rtt_sample_sent_time ||
        r.sent_time > *result.rtt_sample_sent_time) {
      result.rtt_sample_sent_time = r.sent_time;
    }
  };
  // Cumulative part: drop whole records, trim a partly acknowledged one.
  while (!empty() && records_[head_].begin < cumulative_ack) {
    SentSegment& r = records_[head_];
    const uint64_t acked_end = std::min(r.end, cumulative_ack);
    const uint64_t acked = acked_end - r.begin;
    if (!r.sacked) {
      result.newly_acked += acked;
      consider_sample(r);
    }
    outstanding_ -= acked;
    if (r.sacked) sacked_ -= acked;
    if (r.lost) lost_ -= acked;
    if (r.retransmit_in_flight) retransmitting_ -= acked;
    if (r.sacked && r.begin >= loss_cursor_) {
      sacked_above_bytes_ -= acked;
      if (acked_end == r.end) --sacked_above_count_;
    }
    if (acked_end < r.end) {
      // Partly acknowledged. A retransmission in flight is remembered by
      // the segment's first sequence number: follow the trim.
      if (r.retransmit_in_flight) {
        for (uint64_t& key : retransmissions_) {
          if (key == r.begin) key = acked_end;
        }
      }
      r.begin = acked_end;
      break;
    }
    ++head_;
  }
  loss_cursor_ = std::max(loss_cursor_, cumulative_ack);
  retransmit_cursor_ = std::max(retransmit_cursor_, cumulative_ack);
  if (empty()) {
    sacked_above_bytes_ = 0;
    sacked_above_count_ = 0;
  }
  Compact();

  // SACK part: a record counts as SACKed when a block covers it whole.
  for (const SackRange& block : sack_blocks) {
    if (block.end <= block.begin || block.end <= cumulative_ack) continue;
    size_t i = IndexOf(std::max(block.begin, cumulative_ack));
    for (; i < records_.size() && records_[i].end <= block.end; ++i) {
      SentSegment& r = records_[i];
      if (r.begin < block.begin || r.sacked) continue;
      result.newly_sacked += r.length();
      consider_sample(r);
      MarkSacked(r);
    }
  }
  DetectLostRetransmissions();
  if (covers_retransmission) result.rtt_sample_sent_time.reset();
  return result;
}

void SentSegments::DetectLostRetransmissions() {
  while (!retransmissions_.empty()) {
    const size_t i = IndexOf(retransmissions_.front());
    if (i == records_.size() || !records_[i].retransmit_in_flight) {
      retransmissions_.pop_front();  // acknowledged, SACKed or re-marked
      continue;
    }
    SentSegment& r = records_[i];
    if (highest_sacked_ <= r.retransmit_fence) break;
    retransmissions_.pop_front();
    r.retransmit_in_flight = false;
    retransmitting_ -= r.length();
    retransmit_cursor_ = std::min(retransmit_cursor_, r.begin);
  }
}

uint64_t SentSegments::MarkLostBySack(size_t mss) {
  uint64_t newly_lost = 0;
  // RFC 6675 IsLost: DupThresh SACKed segments, or more than
  // (DupThresh - 1) * MSS SACKed bytes, above the segment.
  auto is_lost = [&] {
    return sacked_above_count_ >= kDupThresh ||
           sacked_above_bytes_ > (kDupThresh - 1) * mss;
  };
  size_t i = IndexOf(loss_cursor_);
  while (i < records_.size() && is_lost()) {
    SentSegment& r = records_[i];
    if (r.sacked) {
      sacked_above_bytes_ -= r.length();
      --sacked_above_count_;
    } else if (!r.lost) {
      MarkLost(r);
      newly_lost += r.length();
    }
    loss_cursor_ = r.end;
    ++i;
  }
  return newly_lost;
}

uint64_t SentSegments::MarkFirstLost() {
  if (empty()) return 0;
  SentSegment& r = records_[head_];
  if (r.sacked || r.lost) return 0;
  MarkLost(r);
  return r.length();
}

uint64_t SentSegments::MarkAllLost() {
  uint64_t newly_lost = 0;
  retransmitting_ = 0;
  retransmissions_.clear();
  for (size_t i = head_; i < records_.size(); ++i) {
    SentSegment& r = records_[i];
    r.retransmit_in_flight = false;
    if (!r.sacked && !r.lost) {
      r.lost = true;
      lost_ += r.length();
      newly_lost += r.length();
    }
  }
  if (!empty()) {
    retransmit_cursor_ = records_[head_].begin;
    loss_cursor_ = records_.back().end;
    sacked_above_bytes_ = 0;
    sacked_above_count_ = 0;
  }
  return newly_lost;
}

const SentSegment* SentSegments::NextLost() const {
  for (size_t i = IndexOf(retransmit_cursor_); i < records_.size(); ++i) {
    const SentSegment& r = records_[i];
    if (r.begin >= loss_cursor_ && !r.lost) break;  // nothing lost above
    if (r.lost && !r.retransmit_in_flight) return &r;
  }
  return nullptr;
}

const SentSegment* SentSegments::NextUnsackedBelowHighestSacked(
    uint64_t from) const {
  size_t i = IndexOf(from);
  if (i == records_.size()) {
    if (empty() || from >= records_.back().end) return nullptr;
    i = head_;  // `from` is below the oldest record
  }
  for (; i < records_.size() && records_[i].end <= highest_sacked_; ++i) {
    const SentSegment& r = records_[i];
    if (r.begin < from) continue;
    if (!r.sacked && !r.lost && !r.retransmit_in_flight) return &r;
  }
  return nullptr;
}

const SentSegment* SentSegments::LastUnsacked() const {
  for (size_t i = records_.size(); i > head_; --i) {
    const SentSegment& r = records_[i - 1];
    if (r.sacked) continue;
    return r.lost || r.retransmit_in_flight ? nullptr : &r;
  }
  return nullptr;
}

void SentSegments::OnRetransmitted(uint64_t begin, uint64_t end,
                                   uint64_t snd_max, Time now) {
  size_t i = IndexOf(begin);
  if (i == records_.size()) return;
  if (records_[i].begin != begin || end > records_[i].end) return;
  if (end < records_[i].end) {
    // Only the front was resent (the segment is larger than what fits now):
    // split it so that each part keeps its own marks.
    SentSegment tail = records_[i];
    tail.begin = end;
    records_[i].end = end;
    records_.insert(records_.begin() + i + 1, tail);
  }
  SentSegment& r = records_[i];
  r.retransmitted = true;
  r.sent_time = now;
  if (!r.sacked && !r.retransmit_in_flight) {
    r.retransmit_in_flight = true;
    retransmitting_ += r.length();
    r.retransmit_fence = snd_max;
    retransmissions_.push_back(r.begin);
  }
  retransmit_cursor_ = std::max(retransmit_cursor_, r.end);
}

void SentSegments::Compact() {
  // Amortized O(1): move the live records down once half the vector is dead.
  if (head_ > 64 && head_ * 2 > records_.size()) {
    records_.erase(records_.begin(), records_.begin() + head_);
    head_ = 0;
  }
}

}  // namespace plait::tcp
