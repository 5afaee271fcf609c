// The TCP header (RFC 9293): parsing, serialization, and the checksum over
// the IPv4 or IPv6 pseudo-header.
//
// ParseTcpHeader is zero-copy: the options and payload spans point into the
// caller's segment. It checks structure only; the checksum is verified
// separately with VerifyTcpChecksum because it needs the IP addresses. The
// option bytes are parsed by ParseTcpOptions (tcp_options.h).
#ifndef PLAIT_DATAPLANE_WIRE_TCP_HEADER_H_
#define PLAIT_DATAPLANE_WIRE_TCP_HEADER_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "dataplane/wire/byte_io.h"
#include "dataplane/wire/ip_address.h"
#include "dataplane/wire/tcp_option_space.h"

namespace plait::wire {

inline constexpr size_t kTcpMinHeaderLength = 20;
// Byte offset of the checksum field within the TCP header.
inline constexpr size_t kTcpChecksumOffset = 16;

struct TcpHeader {
  // Bits of the flags byte.
  static constexpr uint8_t kFin = 0x01;
  static constexpr uint8_t kSyn = 0x02;
  static constexpr uint8_t kRst = 0x04;
  static constexpr uint8_t kPsh = 0x08;
  static constexpr uint8_t kAck = 0x10;
  static constexpr uint8_t kUrg = 0x20;
  static constexpr uint8_t kEce = 0x40;
  static constexpr uint8_t kCwr = 0x80;

  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t data_offset = 5;  // header length in 32-bit words, 5..15
  // The 4 bits between the data offset and the flags (the lowest is AccECN's
  // AE bit, formerly NS); kept so that a header round-trips exactly.
  uint8_t reserved = 0;
  uint8_t flags = 0;
  uint16_t window = 0;
  uint16_t checksum = 0;  // as on the wire, not verified by the parser
  uint16_t urgent_ptr = 0;
  absl::Span<const uint8_t> options;  // (data_offset - 5) * 4 raw bytes
  absl::Span<const uint8_t> payload;  // everything after the header

  bool has(uint8_t flag_bits) const { return (flags & flag_bits) == flag_bits; }
  size_t header_length() const { return size_t{data_offset} * 4; }
};

// Parses the TCP header at the start of `segment` (the IP payload). Checks: at
// least 20 bytes, data offset >= 5, and the header within the segment.
absl::StatusOr<TcpHeader> ParseTcpHeader(absl::Span<const uint8_t> segment);

// The TCP checksum of `segment` over the pseudo-header for src/dst (IPv4
// pseudo-header for IPv4 addresses, IPv6 otherwise; protocol 6, TCP length =
// segment size). The checksum field is summed as it is in the buffer, so:
//  - with the field zeroed, the result is the value to write into it;
//  - over a segment that carries a correct checksum, the result is 0.
// src and dst should be of the same family; an IPv4 segment must be at most
// 65535 bytes.
//
// For IPv6, `dst` is used as given, and callers pass the fixed header's
// destination. RFC 8200 section 8.1 wants the final destination instead when
// a Routing header is present: with Segments Left > 0 (a packet captured
// mid-path) that is the last address in the Routing header, so such a
// segment's checksum is reported wrong. This is not handled; endpoints, the
// only place Plait runs, always see Segments Left 0.
uint16_t TcpChecksum(const IpAddress& src, const IpAddress& dst,
                     absl::Span<const uint8_t> segment);

// True if `segment` carries a correct checksum for src/dst.
bool VerifyTcpChecksum(const IpAddress& src, const IpAddress& dst,
                       absl::Span<const uint8_t> segment);

// Computes the checksum of a serialized segment (header and payload) and
// writes it into the checksum field, whatever the field held before. Errors:
// a segment shorter than 20 bytes, or addresses of different families.
absl::Status FillTcpChecksum(const IpAddress& src, const IpAddress& dst,
                             absl::Span<uint8_t> segment);

// Fields for WriteTcpHeader. The data offset follows from the options length.
struct TcpHeaderFields {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;     // TcpHeader::kSyn | ...
  uint8_t reserved = 0;  // 4 bits; normally 0
  uint16_t window = 0;
  uint16_t checksum = 0;  // normally 0, then FillTcpChecksum
  uint16_t urgent_ptr = 0;
};

// Writes the 20-byte header followed by `options` (already encoded and padded:
// its length must be a multiple of 4 and at most 40; the caller pads with NOP
// or EOL, WriteTcpHeader adds nothing). The checksum field is written from
// `fields.checksum`; write the payload after the header, then call
// FillTcpChecksum on the whole segment. Errors: bad options length, too little
// room in `out` (which is then also marked failed), reserved above 4 bits.
absl::Status WriteTcpHeader(const TcpHeaderFields& fields,
                            absl::Span<const uint8_t> options, ByteWriter& out);

}  // namespace plait::wire

#endif  // PLAIT_DATAPLANE_WIRE_TCP_HEADER_H_
