#include "dataplane/wire/sequence.h"

namespace plait::wire {

uint64_t ExpandDsn32(uint32_t wire, uint64_t reference) {
  // Forward distance from the reference's low 32 bits to the wire value, in
  // [0, 2^32). Up to 2^31 counts as ahead, beyond that as behind.
  const uint32_t forward = wire - static_cast<uint32_t>(reference);
  if (forward <= 0x80000000u) return reference + forward;
  return reference - (uint64_t{0x100000000} - forward);
}

uint64_t ExpandDataAck32(uint32_t wire, uint64_t reference) {
  return ExpandDsn32(wire, reference);
}

}  // namespace plait::wire
