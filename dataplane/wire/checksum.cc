#include "dataplane/wire/checksum.h"

#include <bit>
#include <cstring>

namespace plait::wire {

void InternetChecksum::Add(absl::Span<const uint8_t> bytes) {
  const uint8_t* p = bytes.data();
  size_t n = bytes.size();
  if (odd_ && n > 0) {
    sum_ += (uint32_t{pending_} << 8) | p[0];
    odd_ = false;
    ++p;
    --n;
  }
  // The bulk is summed eight bytes at a time in the machine's byte order: a
  // ones-complement sum of byte-swapped words is the byte-swapped sum (RFC
  // 1071 section 2(B)), so one swap of the folded result makes it agree
  // with the big-endian words summed above.
  uint64_t native = 0;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    native += (word >> 32) + (word & 0xffffffff);
  }
  for (; n >= 2; p += 2, n -= 2) {
    uint16_t word;
    std::memcpy(&word, p, 2);
    native += word;
  }
  while (native >> 16) native = (native & 0xffff) + (native >> 16);
  if constexpr (std::endian::native == std::endian::little) {
    native = ((native & 0xff) << 8) | (native >> 8);
  }
  sum_ += native;
  if (n == 1) {
    pending_ = *p;
    odd_ = true;
  }
}

void InternetChecksum::AddU16(uint16_t v) {
  const uint8_t b[2] = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  Add(b);
}

void InternetChecksum::AddU32(uint32_t v) {
  AddU16(static_cast<uint16_t>(v >> 16));
  AddU16(static_cast<uint16_t>(v));
}

void InternetChecksum::AddU64(uint64_t v) {
  AddU32(static_cast<uint32_t>(v >> 32));
  AddU32(static_cast<uint32_t>(v));
}

uint16_t InternetChecksum::Finish() const {
  uint64_t sum = sum_;
  if (odd_) sum += uint32_t{pending_} << 8;  // pad the last byte with zero
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace plait::wire
