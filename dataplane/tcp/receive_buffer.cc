#include "dataplane/tcp/receive_buffer.h"

#include <algorithm>
#include <cstring>

namespace plait::tcp {

ReceiveBuffer::ReceiveBuffer(size_t capacity_bytes, uint64_t initial_offset)
    : ring_(capacity_bytes > 0 ? new uint8_t[capacity_bytes] : nullptr),
      capacity_(capacity_bytes),
      read_offset_(initial_offset) {}

void ReceiveBuffer::CopyIn(uint64_t offset, const uint8_t* src, size_t len) {
  const size_t start = IndexOf(offset);
  const size_t first = std::min(len, capacity_ - start);
  std::memcpy(ring_.get() + start, src, first);
  if (len > first) std::memcpy(ring_.get(), src + first, len - first);
}

ReceiveBuffer::InsertResult ReceiveBuffer::Insert(
    uint64_t offset, absl::Span<const uint8_t> data) {
  InsertResult result;
  if (data.empty()) return result;
  // Saturate rather than wrap for absurd offsets near 2^64.
  const uint64_t seg_end =
      offset + std::min<uint64_t>(data.size(), UINT64_MAX - offset);
  const uint64_t limit = window_end();
  const uint64_t begin = std::max(offset, read_offset_);
  const uint64_t end = std::min(seg_end, limit);
  result.bytes_beyond_window =
      static_cast<size_t>(seg_end - std::max(offset, std::min(seg_end, limit)));
  if (begin >= end) {
    result.bytes_duplicate = data.size() - result.bytes_beyond_window;
    return result;
  }

  const uint64_t old_contiguous_end = contiguous_end();
  // Copy the gaps of [begin, end) only: held bytes stay as first received.
  uint64_t cursor = begin;
  IntervalSet::const_iterator it = ranges_.FirstEndingAfter(cursor);
  while (cursor < end) {
    if (it != ranges_.end() && it->begin <= cursor) {
      cursor = it->end;
      ++it;
      continue;
    }
    const uint64_t gap_end =
        (it != ranges_.end()) ? std::min(end, it->begin) : end;
    CopyIn(cursor, data.data() + (cursor - offset),
           static_cast<size_t>(gap_end - cursor));
    cursor = gap_end;
  }
  result.bytes_added = static_cast<size_t>(ranges_.Add(begin, end));
  result.bytes_duplicate =
      data.size() - result.bytes_beyond_window - result.bytes_added;
  const uint64_t new_contiguous_end = contiguous_end();
  result.advanced = new_contiguous_end > old_contiguous_end;

  if (result.bytes_added > 0 && begin > new_contiguous_end) {
    recent_[recent_next_] = begin;
    recent_next_ = (recent_next_ + 1) % kRecentSegments;
    recent_count_ = std::min(recent_count_ + 1, kRecentSegments);
  }
  return result;
}

size_t ReceiveBuffer::PeekContiguous(absl::Span<const uint8_t> out[2]) const {
  out[0] = {};
  out[1] = {};
  const size_t n = readable();
  if (n == 0) return 0;
  const size_t first = std::min(n, capacity_ - head_);
  out[0] = absl::MakeConstSpan(ring_.get() + head_, first);
  if (n > first) out[1] = absl::MakeConstSpan(ring_.get(), n - first);
  return n;
}

size_t ReceiveBuffer::Consume(size_t n) {
  n = std::min(n, readable());
  if (n == 0) return 0;
  head_ = IndexOf(read_offset_ + n);
  read_offset_ += n;
  ranges_.RemoveBelow(read_offset_);
  return n;
}

size_t ReceiveBuffer::Read(absl::Span<uint8_t> out) {
  absl::Span<const uint8_t> views[2];
  const size_t n = std::min(PeekContiguous(views), out.size());
  if (n == 0) return 0;
  const size_t first = std::min(n, views[0].size());
  std::memcpy(out.data(), views[0].data(), first);
  if (n > first) std::memcpy(out.data() + first, views[1].data(), n - first);
  return Consume(n);
}

size_t ReceiveBuffer::SackBlocks(uint64_t most_recent_begin,
                                 absl::Span<Range> out) const {
  if (out.empty()) return 0;
  const uint64_t edge = contiguous_end();
  // Out-of-order ranges are those beginning above the contiguous edge.
  IntervalSet::const_iterator ooo = ranges_.FirstEndingAfter(edge);
  if (ooo != ranges_.end() && ooo->begin <= edge) ++ooo;
  if (ooo == ranges_.end()) return 0;

  size_t count = 0;
  auto already = [&](const Range& r) {
    for (size_t i = 0; i < count; ++i) {
      if (out[i] == r) return true;
    }
    return false;
  };
  auto add_containing = [&](uint64_t offset) {
    if (offset <= edge) return;
    IntervalSet::const_iterator it = ranges_.Find(offset);
    if (it == ranges_.end() || already(*it)) return;
    out[count++] = *it;
  };

  add_containing(most_recent_begin);
  for (size_t k = 1; k <= recent_count_ && count < out.size(); ++k) {
    add_containing(
        recent_[(recent_next_ + kRecentSegments - k) % kRecentSegments]);
  }
  for (; ooo != ranges_.end() && count < out.size(); ++ooo) {
    if (!already(*ooo)) out[count++] = *ooo;
  }
  return count;
}

}  // namespace plait::tcp
