// Expansion of the 32-bit data sequence numbers and Data ACKs that a DSS option
// may carry (RFC 8684 §3.3) into the 64-bit data sequence space.
#ifndef PLAIT_DATAPLANE_WIRE_SEQUENCE_H_
#define PLAIT_DATAPLANE_WIRE_SEQUENCE_H_

#include <cstdint>

namespace plait::wire {

// Returns the 64-bit value whose low 32 bits equal `wire` and which lies
// closest to `reference` (the receiver's current 64-bit state: the expected
// DSN for a mapping). It may lie up to 2^31 - 1 below or up to 2^31 above the
// reference, so a wrap of the low 32 bits is handled in both directions.
// Arithmetic is modulo 2^64, like the data sequence space itself. On an exact
// tie (distance 2^31 either way) the value ahead of the reference is chosen,
// as sequence numbers move forward.
uint64_t ExpandDsn32(uint32_t wire, uint64_t reference);

// The same rule for a 32-bit Data ACK; the reference is the sender's current
// 64-bit view of the acknowledged position (snd_una).
uint64_t ExpandDataAck32(uint32_t wire, uint64_t reference);

// Convenience for DSS fields: a value that came as 64 bits is returned as is,
// a 32-bit one is expanded against the reference.
inline uint64_t ExpandDssValue(uint64_t value, bool is_64bit,
                               uint64_t reference) {
  return is_64bit ? value
                  : ExpandDsn32(static_cast<uint32_t>(value), reference);
}

}  // namespace plait::wire

#endif  // PLAIT_DATAPLANE_WIRE_SEQUENCE_H_
