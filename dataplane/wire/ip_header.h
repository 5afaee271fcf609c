// IPv4 (RFC 791) and IPv6 (RFC 8200) header parsing and serialization.
//
// Parsers are zero-copy: spans in the results point into the caller's packet
// buffer and are valid only as long as it is. They never read past the buffer
// and allocate nothing. Every rejected packet gets an InvalidArgument status
// whose message names the field and the values that are wrong.
//
// Fragments are parsed, not reassembled: the result says so (is_fragment() /
// IpPacket::fragment) so that callers can drop them. Plait sets DF and never
// expects fragmented TCP.
#ifndef PLAIT_DATAPLANE_WIRE_IP_HEADER_H_
#define PLAIT_DATAPLANE_WIRE_IP_HEADER_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "dataplane/wire/byte_io.h"
#include "dataplane/wire/ip_address.h"

namespace plait::wire {

// IP protocol numbers / IPv6 next-header values used here.
inline constexpr uint8_t kIpProtocolHopByHop = 0;
inline constexpr uint8_t kIpProtocolTcp = 6;
inline constexpr uint8_t kIpProtocolUdp = 17;
inline constexpr uint8_t kIpProtocolIpv6Routing = 43;
inline constexpr uint8_t kIpProtocolIpv6Fragment = 44;
inline constexpr uint8_t kIpProtocolIpv6DestinationOptions = 60;

inline constexpr size_t kIpv4MinHeaderLength = 20;
inline constexpr size_t kIpv6HeaderLength = 40;

// A parsed IPv4 header.
struct Ipv4Header {
  // Values of the 3-bit flags field.
  static constexpr uint8_t kMoreFragments = 0x1;  // MF
  static constexpr uint8_t kDontFragment = 0x2;   // DF
  static constexpr uint8_t kReservedFlag = 0x4;   // must be zero; not checked

  uint8_t ihl = 5;  // header length in 32-bit words, 5..15
  uint8_t tos = 0;  // DSCP and ECN
  uint16_t total_length = 0;
  uint16_t identification = 0;
  uint8_t flags = 0;             // kDontFragment | kMoreFragments
  uint16_t fragment_offset = 0;  // in 8-byte units
  uint8_t ttl = 0;
  uint8_t protocol = 0;
  uint16_t header_checksum = 0;  // as on the wire (already verified)
  IpAddress src;
  IpAddress dst;
  absl::Span<const uint8_t> options;  // (ihl - 5) * 4 raw bytes, unparsed
  // The bytes from the end of the header to total_length. Bytes in the buffer
  // beyond total_length (e.g. Ethernet padding) are not part of it.
  absl::Span<const uint8_t> payload;

  bool dont_fragment() const { return (flags & kDontFragment) != 0; }
  bool more_fragments() const { return (flags & kMoreFragments) != 0; }
  // True for any piece of a fragmented datagram (MF set or offset != 0).
  bool is_fragment() const { return more_fragments() || fragment_offset != 0; }
};

// Parses the IPv4 header at the start of `packet`. Checks: version 4, IHL >= 5,
// header within the buffer, IHL * 4 <= total length <= buffer length, and a
// valid header checksum.
absl::StatusOr<Ipv4Header> ParseIpv4(absl::Span<const uint8_t> packet);

// A parsed IPv6 header together with the result of walking its extension
// header chain (hop-by-hop 0, routing 43, fragment 44, destination options 60).
// Any other next-header value is taken as the upper-layer protocol; that
// includes AH, ESP and "no next header" (59), which Plait does not handle.
// Jumbograms (payload length 0 with a jumbo option) are not supported: payload
// length 0 means an empty payload.
struct Ipv6Header {
  uint8_t traffic_class = 0;  // DSCP and ECN
  uint32_t flow_label = 0;    // 20 bits
  uint16_t payload_length = 0;
  uint8_t next_header = 0;  // the fixed header's field
  uint8_t hop_limit = 0;
  IpAddress src;
  IpAddress dst;

  // The upper-layer protocol after the extension headers, and its bytes
  // (bounded by payload_length, not by the buffer length). For a fragment
  // with a nonzero offset the walk stops at the fragment header: `protocol` is
  // the fragment header's next-header value and `payload` is the fragment
  // data, which is not the start of an upper-layer header.
  uint8_t protocol = 0;
  absl::Span<const uint8_t> payload;

  // Fragment header fields, if one was present. A fragment header with offset
  // 0 and M clear (an "atomic fragment", RFC 6946) is not a fragment.
  bool has_fragment_header = false;
  uint16_t fragment_offset = 0;  // in 8-byte units
  bool more_fragments = false;
  uint32_t fragment_identification = 0;

  bool is_fragment() const { return more_fragments || fragment_offset != 0; }
};

// Parses the IPv6 header at the start of `packet` and walks its extension
// headers. Checks: version 6, 40 + payload length <= buffer length, every
// extension header within the payload, hop-by-hop only directly after the
// fixed header.
absl::StatusOr<Ipv6Header> ParseIpv6(absl::Span<const uint8_t> packet);

// What the dataplane needs from either IP version.
struct IpPacket {
  IpAddress src;
  IpAddress dst;
  uint8_t protocol = 0;               // upper-layer protocol
  absl::Span<const uint8_t> payload;  // the upper-layer bytes
  bool fragment = false;              // callers drop fragments
  uint8_t ttl_or_hop_limit = 0;
  uint8_t tos_or_traffic_class = 0;  // DSCP and ECN
};

// Parses an IPv4 or IPv6 packet, choosing by the version nibble.
absl::StatusOr<IpPacket> ParseIpPacket(absl::Span<const uint8_t> packet);

// Fields for writing a 20-byte IPv4 header (no options, never fragmented).
struct Ipv4HeaderFields {
  uint8_t tos = 0;
  uint16_t identification = 0;
  bool dont_fragment = true;
  uint8_t ttl = 64;
  uint8_t protocol = kIpProtocolTcp;
  IpAddress src;  // must be IPv4
  IpAddress dst;  // must be IPv4
};

// Writes a 20-byte IPv4 header with total length 20 + payload_length and a
// correct header checksum. Errors: an address that is not IPv4, a total length
// above 65535, or too little room in `out` (which is then also marked failed).
absl::Status WriteIpv4Header(const Ipv4HeaderFields& fields,
                             size_t payload_length, ByteWriter& out);

// Fields for writing a 40-byte IPv6 header (no extension headers).
struct Ipv6HeaderFields {
  uint8_t traffic_class = 0;
  uint32_t flow_label = 0;  // 20 bits
  uint8_t next_header = kIpProtocolTcp;
  uint8_t hop_limit = 64;
  IpAddress src;  // must be IPv6
  IpAddress dst;  // must be IPv6
};

// Writes a 40-byte IPv6 header with the given payload length. Errors: an
// address that is not IPv6, a flow label above 20 bits, a payload length above
// 65535, or too little room in `out` (which is then also marked failed).
absl::Status WriteIpv6Header(const Ipv6HeaderFields& fields,
                             size_t payload_length, ByteWriter& out);

}  // namespace plait::wire

#endif  // PLAIT_DATAPLANE_WIRE_IP_HEADER_H_
