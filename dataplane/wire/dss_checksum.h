// The DSS checksum of RFC 8684 §3.3.1: the Internet checksum over a pseudo-
// header and the payload that a DSS mapping covers.
#ifndef PLAIT_DATAPLANE_WIRE_DSS_CHECKSUM_H_
#define PLAIT_DATAPLANE_WIRE_DSS_CHECKSUM_H_

#include <cstdint>

#include "absl/types/span.h"

namespace plait::wire {

// The checksum to put in a DSS mapping (or an MP_CAPABLE with data). The
// pseudo-header is {DSN (64 bits, always the full value even when the option
// carries 32 bits), relative subflow sequence number (32), Data-Level Length
// (16), checksum field = 0 (16)}, followed by `payload`, summed as ones-
// complement 16-bit words and folded (Linux: __mptcp_make_csum).
//
// `data_level_length` is the value on the wire: it counts the DATA_FIN byte
// when F is set, while `payload` holds only the real data bytes. An infinite
// mapping (length 0) is sent with checksum 0 rather than this value.
uint16_t DssChecksum(uint64_t dsn, uint32_t relative_subflow_seq,
                     uint16_t data_level_length,
                     absl::Span<const uint8_t> payload);

// True if `checksum` (as received) is correct for the mapping and payload:
// summing the pseudo-header with the received checksum in place of the zero
// field, plus the payload, folds to 0.
bool VerifyDssChecksum(uint64_t dsn, uint32_t relative_subflow_seq,
                       uint16_t data_level_length, uint16_t checksum,
                       absl::Span<const uint8_t> payload);

}  // namespace plait::wire

#endif  // PLAIT_DATAPLANE_WIRE_DSS_CHECKSUM_H_
