// The send side's byte store: application bytes written but not yet
// acknowledged, addressed by 64-bit stream offset. A ring of fixed capacity,
// allocated once at construction; Write, Peek, CopyOut and Release never
// allocate.
//
//   begin_offset()                                  end_offset()
//   |<- sent & unacked, or not yet sent (the engine knows which) ->|
//
// The engine calls Release when SND.UNA advances; bytes are never discarded
// otherwise, so everything in [begin_offset, end_offset) can be (re)sent.
#ifndef PLAIT_DATAPLANE_TCP_SEND_BUFFER_H_
#define PLAIT_DATAPLANE_TCP_SEND_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/types/span.h"

namespace plait::tcp {

class SendBuffer {
 public:
  // `initial_offset` is the stream offset of the first byte written (0 for a
  // TCP stream; other values let MPTCP's data-level stream reuse the class).
  explicit SendBuffer(size_t capacity_bytes, uint64_t initial_offset = 0);

  SendBuffer(const SendBuffer&) = delete;
  SendBuffer& operator=(const SendBuffer&) = delete;
  SendBuffer(SendBuffer&&) = default;
  SendBuffer& operator=(SendBuffer&&) = default;

  // Appends as many leading bytes of `data` as fit in free_space() and
  // returns how many it took (0 when full): the writer's back-pressure.
  size_t Write(absl::Span<const uint8_t> data);

  // Views up to `max_len` bytes starting at `offset` without copying: out[0]
  // and out[1] are set (out[1] is non-empty only across the ring's wrap) and
  // the total length is returned. 0 (both spans empty) if `offset` is outside
  // [begin_offset, end_offset). The views stay valid until the next Write
  // or Release that touches their bytes' storage (Write can reuse released
  // storage; Release itself does not modify bytes).
  size_t Peek(uint64_t offset, size_t max_len,
              absl::Span<const uint8_t> out[2]) const;

  // Copies up to `len` bytes starting at `offset` to `dst` (the one copy into
  // a segment) and returns how many were copied: min(len, end_offset -
  // offset), or 0 if `offset` is outside [begin_offset, end_offset).
  size_t CopyOut(uint64_t offset, size_t len, uint8_t* dst) const;

  // Frees the bytes below `up_to_offset` (acknowledged). Values below
  // begin_offset are ignored; values above end_offset are clamped to it.
  // Returns how many bytes were freed.
  size_t Release(uint64_t up_to_offset);

  // Oldest byte still held (the oldest unacknowledged byte).
  uint64_t begin_offset() const { return begin_offset_; }
  // One past the newest byte written.
  uint64_t end_offset() const { return begin_offset_ + size_; }
  // Bytes held: end_offset() - begin_offset().
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return capacity_; }
  size_t free_space() const { return capacity_ - size_; }

 private:
  // Ring index of the byte `distance` bytes after begin_offset_ (distance <=
  // capacity_).
  size_t IndexAt(size_t distance) const {
    const size_t i = head_ + distance;
    return i >= capacity_ ? i - capacity_ : i;
  }

  std::unique_ptr<uint8_t[]> ring_;
  size_t capacity_;
  size_t head_ = 0;  // ring index of begin_offset_
  size_t size_ = 0;
  uint64_t begin_offset_;
};

}  // namespace plait::tcp

#endif  // PLAIT_DATAPLANE_TCP_SEND_BUFFER_H_
