#include "dataplane/tcp/send_buffer.h"

#include <algorithm>
#include <cstring>

namespace plait::tcp {

SendBuffer::SendBuffer(size_t capacity_bytes, uint64_t initial_offset)
    : ring_(capacity_bytes > 0 ? new uint8_t[capacity_bytes] : nullptr),
      capacity_(capacity_bytes),
      begin_offset_(initial_offset) {}

size_t SendBuffer::Write(absl::Span<const uint8_t> data) {
  const size_t n = std::min(data.size(), free_space());
  if (n == 0) return 0;
  const size_t tail = IndexAt(size_);
  const size_t first = std::min(n, capacity_ - tail);
  std::memcpy(ring_.get() + tail, data.data(), first);
  if (n > first) std::memcpy(ring_.get(), data.data() + first, n - first);
  size_ += n;
  return n;
}

size_t SendBuffer::Peek(uint64_t offset, size_t max_len,
                        absl::Span<const uint8_t> out[2]) const {
  out[0] = {};
  out[1] = {};
  if (offset < begin_offset_ || offset >= end_offset()) return 0;
  const size_t distance = static_cast<size_t>(offset - begin_offset_);
  const size_t n = std::min(max_len, size_ - distance);
  const size_t start = IndexAt(distance);
  const size_t first = std::min(n, capacity_ - start);
  out[0] = absl::MakeConstSpan(ring_.get() + start, first);
  if (n > first) out[1] = absl::MakeConstSpan(ring_.get(), n - first);
  return n;
}

size_t SendBuffer::CopyOut(uint64_t offset, size_t len, uint8_t* dst) const {
  absl::Span<const uint8_t> views[2];
  const size_t n = Peek(offset, len, views);
  if (n == 0) return 0;
  std::memcpy(dst, views[0].data(), views[0].size());
  if (!views[1].empty()) {
    std::memcpy(dst + views[0].size(), views[1].data(), views[1].size());
  }
  return n;
}

size_t SendBuffer::Release(uint64_t up_to_offset) {
  if (up_to_offset <= begin_offset_) return 0;
  const size_t n = static_cast<size_t>(
      std::min<uint64_t>(up_to_offset - begin_offset_, size_));
  head_ = IndexAt(n);
  size_ -= n;
  begin_offset_ += n;
  // An empty ring restarts at index 0 so the next writes are contiguous.
  if (size_ == 0) head_ = 0;
  return n;
}

}  // namespace plait::tcp
