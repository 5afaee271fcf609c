// Builds one whole IP packet carrying a TCP segment into a caller's buffer:
// IP header, TCP header, laid-out options, payload, and both checksums. The
// payload is copied straight from where it lives (the send buffer) by a
// callback: the one copy a segment's bytes get on the way out.
#ifndef PLAIT_DATAPLANE_TCP_PACKET_BUILDER_H_
#define PLAIT_DATAPLANE_TCP_PACKET_BUILDER_H_

#include <cstddef>
#include <cstdint>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "dataplane/wire/ip_address.h"
#include "dataplane/wire/segment.h"

namespace plait::tcp {

struct TcpPacketSpec {
  wire::IpAddress src;
  wire::IpAddress dst;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;
  absl::Span<const uint8_t> options;  // laid out: a multiple of 4, <= 40
  uint8_t ttl = 64;
};

// IP header length for the address family of `spec.src`.
size_t IpHeaderLength(const wire::IpAddress& address);

// Writes the packet into `out` and returns its length. `copy_payload` is
// called once with a pointer to `payload_length` bytes to fill. Errors: `out`
// too small, mixed address families, options not a multiple of 4 or > 40.
absl::StatusOr<size_t> BuildTcpPacket(
    const TcpPacketSpec& spec, size_t payload_length,
    absl::FunctionRef<void(uint8_t* destination)> copy_payload,
    absl::Span<uint8_t> out);

// The RST that answers `segment` when no connection takes it (RFC 9293
// 3.10.7.1): with an ACK, a RST at that sequence number; otherwise a RST/ACK
// acknowledging the segment. Never call it for a segment that is a RST.
absl::StatusOr<size_t> BuildResetReply(const wire::Segment& segment,
                                       absl::Span<uint8_t> out);

}  // namespace plait::tcp

#endif  // PLAIT_DATAPLANE_TCP_PACKET_BUILDER_H_
