// Bounds-checked big-endian cursors over byte spans. Every parser in
// dataplane/wire reads through ByteReader so that no code path can read past
// the buffer it was given; every serializer writes through ByteWriter.
#ifndef PLAIT_DATAPLANE_WIRE_BYTE_IO_H_
#define PLAIT_DATAPLANE_WIRE_BYTE_IO_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/types/span.h"

namespace plait::wire {

inline uint16_t LoadBe16(const uint8_t* p) {
  return static_cast<uint16_t>((uint16_t{p[0]} << 8) | p[1]);
}
inline uint32_t LoadBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | p[3];
}
inline uint64_t LoadBe64(const uint8_t* p) {
  return (uint64_t{LoadBe32(p)} << 32) | LoadBe32(p + 4);
}
inline void StoreBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void StoreBe32(uint8_t* p, uint32_t v) {
  StoreBe16(p, static_cast<uint16_t>(v >> 16));
  StoreBe16(p + 2, static_cast<uint16_t>(v));
}
inline void StoreBe64(uint8_t* p, uint64_t v) {
  StoreBe32(p, static_cast<uint32_t>(v >> 32));
  StoreBe32(p + 4, static_cast<uint32_t>(v));
}

// Reads big-endian integers and sub-spans from a span. A read that does not
// fit returns false and leaves the cursor where it was.
class ByteReader {
 public:
  explicit ByteReader(absl::Span<const uint8_t> data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }

  bool ReadU8(uint8_t* out) {
    if (remaining() < 1) return false;
    *out = data_[pos_++];
    return true;
  }
  bool ReadU16(uint16_t* out) { return ReadFixed(2, out, LoadBe16); }
  bool ReadU32(uint32_t* out) { return ReadFixed(4, out, LoadBe32); }
  bool ReadU64(uint64_t* out) { return ReadFixed(8, out, LoadBe64); }

  // A view of the next `n` bytes (zero-copy).
  bool ReadBytes(size_t n, absl::Span<const uint8_t>* out) {
    if (remaining() < n) return false;
    *out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool Skip(size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }
  absl::Span<const uint8_t> Rest() const { return data_.subspan(pos_); }

 private:
  template <typename T>
  bool ReadFixed(size_t n, T* out, T (*load)(const uint8_t*)) {
    if (remaining() < n) return false;
    *out = load(data_.data() + pos_);
    pos_ += n;
    return true;
  }

  absl::Span<const uint8_t> data_;
  size_t pos_ = 0;
};

// Writes big-endian integers into a span. Once a write does not fit, the
// writer is marked failed, writes nothing more, and ok() returns false; callers
// check once at the end instead of after every field.
class ByteWriter {
 public:
  explicit ByteWriter(absl::Span<uint8_t> out) : out_(out) {}

  bool ok() const { return ok_; }
  size_t written() const { return pos_; }
  size_t remaining() const { return out_.size() - pos_; }

  void WriteU8(uint8_t v) {
    if (uint8_t* p = Claim(1)) *p = v;
  }
  void WriteU16(uint16_t v) {
    if (uint8_t* p = Claim(2)) StoreBe16(p, v);
  }
  void WriteU32(uint32_t v) {
    if (uint8_t* p = Claim(4)) StoreBe32(p, v);
  }
  void WriteU64(uint64_t v) {
    if (uint8_t* p = Claim(8)) StoreBe64(p, v);
  }
  void WriteBytes(absl::Span<const uint8_t> bytes) {
    if (bytes.empty()) return;
    if (uint8_t* p = Claim(bytes.size())) {
      std::memcpy(p, bytes.data(), bytes.size());
    }
  }

 private:
  uint8_t* Claim(size_t n) {
    if (!ok_ || remaining() < n) {
      ok_ = false;
      return nullptr;
    }
    uint8_t* p = out_.data() + pos_;
    pos_ += n;
    return p;
  }

  absl::Span<uint8_t> out_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace plait::wire

#endif  // PLAIT_DATAPLANE_WIRE_BYTE_IO_H_
