// The Internet checksum (RFC 1071): a ones-complement sum of 16-bit words.
// Shared by the IPv4 header, the TCP checksum over its pseudo-header, and the
// MPTCP DSS checksum, which all fold the same running sum.
#ifndef PLAIT_DATAPLANE_WIRE_CHECKSUM_H_
#define PLAIT_DATAPLANE_WIRE_CHECKSUM_H_

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"

namespace plait::wire {

class InternetChecksum {
 public:
  // Adds bytes as big-endian 16-bit words. Spans may have odd lengths: a
  // trailing odd byte is carried over and paired with the next span's first
  // byte, so feeding a buffer in pieces gives the same sum as feeding it whole.
  void Add(absl::Span<const uint8_t> bytes);
  void AddU16(uint16_t v);
  void AddU32(uint32_t v);
  void AddU64(uint64_t v);

  // The complemented 16-bit checksum to put on the wire. Verifying a buffer
  // that contains its own correct checksum gives 0.
  uint16_t Finish() const;

 private:
  uint64_t sum_ = 0;
  bool odd_ = false;  // a high byte is waiting for its low byte
  uint8_t pending_ = 0;
};

}  // namespace plait::wire

#endif  // PLAIT_DATAPLANE_WIRE_CHECKSUM_H_
