#include "dataplane/wire/checksum.h"

namespace plait::wire {

void InternetChecksum::Add(absl::Span<const uint8_t> bytes) {
  size_t i = 0;
  if (odd_ && !bytes.empty()) {
    sum_ += (uint32_t{pending_} << 8) | bytes[0];
    odd_ = false;
    i = 1;
  }
  // Deferred carries: a 64-bit accumulator holds 2^48 words before overflow.
  for (; i + 1 < bytes.size(); i += 2) {
    sum_ += (uint32_t{bytes[i]} << 8) | bytes[i + 1];
  }
  if (i < bytes.size()) {
    pending_ = bytes[i];
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
