// The receive side's bounded reassembly store. Bytes are addressed by 64-bit
// stream offset; the buffer accepts bytes in [read_offset, read_offset +
// capacity), whether in order or not, in a ring of fixed capacity allocated
// once at construction. An IntervalSet records which offsets are held.
//
//   read_offset()      contiguous_end()                 window_end()
//   |<- unread, in order ->|<- holes and out-of-order ->|
//   |<------------------------ capacity ------------------------>|
//
// contiguous_end() is RCV.NXT as an offset. Insert, Read and SackBlocks do
// not allocate in steady state (the range set lives inline up to
// IntervalSet::kInlineRanges holes).
#ifndef PLAIT_DATAPLANE_TCP_RECEIVE_BUFFER_H_
#define PLAIT_DATAPLANE_TCP_RECEIVE_BUFFER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/types/span.h"
#include "dataplane/tcp/interval_set.h"

namespace plait::tcp {

class ReceiveBuffer {
 public:
  struct InsertResult {
    // Bytes not held before (after trimming to the window).
    size_t bytes_added = 0;
    // contiguous_end() moved forward (an ACK for new data is due).
    bool advanced = false;
    // Bytes of the segment at or beyond window_end(), dropped.
    size_t bytes_beyond_window = 0;
    // Bytes of the segment that were below read_offset() or already held
    // (duplicates; a D-SACK candidate).
    size_t bytes_duplicate = 0;
  };

  // `initial_offset` is the offset of the first byte expected (0 for TCP).
  explicit ReceiveBuffer(size_t capacity_bytes, uint64_t initial_offset = 0);

  ReceiveBuffer(const ReceiveBuffer&) = delete;
  ReceiveBuffer& operator=(const ReceiveBuffer&) = delete;
  ReceiveBuffer(ReceiveBuffer&&) = default;
  ReceiveBuffer& operator=(ReceiveBuffer&&) = default;

  // Stores the part of [offset, offset + data.size()) that lies within
  // [read_offset, window_end) and is not held yet. Bytes already held are
  // kept, not overwritten (first copy wins). Each new byte is copied once.
  InsertResult Insert(uint64_t offset, absl::Span<const uint8_t> data);

  // Copies up to out.size() contiguous bytes to the application and frees
  // them. Returns how many were copied.
  size_t Read(absl::Span<uint8_t> out);

  // Zero-copy alternative to Read: views the contiguous unread bytes (up to
  // two spans, for the ring's wrap); returns the total. Then Consume(n).
  size_t PeekContiguous(absl::Span<const uint8_t> out[2]) const;
  // Frees the first n contiguous bytes (n is clamped to readable()).
  size_t Consume(size_t n);

  // The next byte the application reads.
  uint64_t read_offset() const { return read_offset_; }
  // One past the last in-order byte received: RCV.NXT as an offset.
  uint64_t contiguous_end() const {
    return (!ranges_.empty() && ranges_.front().begin == read_offset_)
               ? ranges_.front().end
               : read_offset_;
  }
  // Contiguous bytes the application can read now.
  size_t readable() const {
    return static_cast<size_t>(contiguous_end() - read_offset_);
  }
  // One past the highest offset the buffer can accept.
  uint64_t window_end() const { return read_offset_ + capacity_; }

  // The receive window to advertise, counted from contiguous_end():
  // window_end() - contiguous_end() = capacity - readable(). Out-of-order
  // bytes already sit in their own slots inside that space, so they do not
  // shrink the window; the right edge (contiguous_end + window) never moves
  // left, as RFC 9293 §3.8.6 asks.
  size_t window() const { return capacity_ - readable(); }

  // Every byte held, in order or not.
  size_t bytes_held() const {
    return static_cast<size_t>(ranges_.total_bytes());
  }
  // Held bytes above contiguous_end() (out-of-order).
  size_t out_of_order_bytes() const { return bytes_held() - readable(); }
  bool has_out_of_order() const { return out_of_order_bytes() > 0; }
  size_t capacity() const { return capacity_; }

  // The received ranges, all >= read_offset().
  const IntervalSet& ranges() const { return ranges_; }

  // Writes up to out.size() SACK blocks (RFC 2018 §4) for the out-of-order
  // ranges above contiguous_end() and returns how many it wrote. The block
  // containing `most_recent_begin` (the start of the segment that triggered
  // this ACK) comes first, if it is out of order; then the blocks containing
  // the most recently inserted out-of-order segments, newest first; then the
  // remaining blocks in ascending order. No block appears twice.
  size_t SackBlocks(uint64_t most_recent_begin, absl::Span<Range> out) const;

 private:
  static constexpr size_t kRecentSegments = 4;

  size_t IndexOf(uint64_t offset) const {
    // offset is within [read_offset_, window_end()).
    const size_t i = head_ + static_cast<size_t>(offset - read_offset_);
    return i >= capacity_ ? i - capacity_ : i;
  }
  void CopyIn(uint64_t offset, const uint8_t* src, size_t len);

  std::unique_ptr<uint8_t[]> ring_;
  size_t capacity_;
  size_t head_ = 0;  // ring index of read_offset_
  uint64_t read_offset_;
  IntervalSet ranges_;
  // Begin offsets of the latest out-of-order inserts, newest at
  // recent_[recent_next_ - 1]; recent_count_ of them are valid.
  std::array<uint64_t, kRecentSegments> recent_{};
  size_t recent_next_ = 0;
  size_t recent_count_ = 0;
};

}  // namespace plait::tcp

#endif  // PLAIT_DATAPLANE_TCP_RECEIVE_BUFFER_H_
