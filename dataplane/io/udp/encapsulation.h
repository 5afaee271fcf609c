// The UDP encapsulation of Plait's subflows (docs/udp-encapsulation.md): each
// datagram is a 4-byte header followed by one whole inner IP packet, exactly
// as the sans-I/O core builds and parses it. Pure functions, no sockets, so
// that they can be fuzzed and used by any transport.
#ifndef PLAIT_DATAPLANE_IO_UDP_ENCAPSULATION_H_
#define PLAIT_DATAPLANE_IO_UDP_ENCAPSULATION_H_

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "dataplane/wire/ip_address.h"

namespace plait::io::udp {

// Header bytes 0-1: "PL". Rejects stray traffic (DNS, QUIC, scans) with one
// comparison before anything else is read.
inline constexpr uint8_t kMagic0 = 0x50;
inline constexpr uint8_t kMagic1 = 0x4c;
inline constexpr uint8_t kVersion = 1;
// Byte 3: what follows. Only whole IP packets today; other values are kept
// for later message types (e.g. keepalives) and dropped by v1 receivers.
inline constexpr uint8_t kTypeIpPacket = 1;
inline constexpr size_t kHeaderSize = 4;

// A convention, not a registered port: plaitd binds every path address to it
// unless configured otherwise.
inline constexpr uint16_t kDefaultPort = 47100;

// Outer IP + UDP + our header.
inline constexpr size_t kOuterOverheadV4 = 20 + 8 + kHeaderSize;  // 32
inline constexpr size_t kOuterOverheadV6 = 40 + 8 + kHeaderSize;  // 52

// The largest inner IP packet a path of `path_mtu` bytes carries unfragmented.
constexpr size_t MaxInnerPacket(bool outer_v4, size_t path_mtu) {
  const size_t overhead = outer_v4 ? kOuterOverheadV4 : kOuterOverheadV6;
  return path_mtu > overhead ? path_mtu - overhead : 0;
}
// The TcpConfig::mss to use for subflows over such a path (the engine's MSS
// counts payload plus TCP options, beyond a 20-byte TCP header). 1500-byte
// MTU: 1428 (IPv4 in IPv4), 1408 (mixed), 1388 (IPv6 in IPv6).
constexpr size_t InnerMss(bool outer_v4, bool inner_v4, size_t path_mtu) {
  const size_t max_inner = MaxInnerPacket(outer_v4, path_mtu);
  const size_t headers = (inner_v4 ? 20 : 40) + 20;
  return max_inner > headers ? max_inner - headers : 0;
}

// Why a datagram was dropped. The first five come from Decapsulate; the rest
// from the transport, which knows the sockets and peers.
enum class DropReason : uint8_t {
  kTooShort,          // fewer than kHeaderSize + 1 bytes
  kBadMagic,          // bytes 0-1 are not "PL"
  kBadVersion,        // byte 2 is not kVersion
  kUnknownType,       // byte 3 is not kTypeIpPacket
  kBadInnerPacket,    // not a whole IPv4/IPv6 header, or its length field
                      // disagrees with the datagram's length
  kTruncated,         // larger than the receive buffer (MSG_TRUNC)
  kWrongDestination,  // inner destination is not the receiving path's address
  kUnknownPeer,       // inner source not in the peer table, and not learnt
  kPeerMismatch,      // inner source mapped to another outer endpoint
};
inline constexpr size_t kDropReasonCount = 9;
const char* DropReasonName(DropReason reason);

// Source and destination of a whole IP packet. False unless `packet` starts
// with a complete IPv4 (IHL >= 5) or IPv6 fixed header whose length field
// (total length, or 40 + payload length) equals packet.size() exactly.
bool ReadInnerAddresses(absl::Span<const uint8_t> packet, wire::IpAddress* src,
                        wire::IpAddress* dst);

struct Decapsulated {
  bool ok = false;
  DropReason reason = DropReason::kTooShort;  // when !ok
  absl::Span<const uint8_t> packet;           // the inner IP packet
  wire::IpAddress src;
  wire::IpAddress dst;
};
// Validates a received datagram's header and inner IP header (in that order,
// cheapest first); `packet` points into `datagram`.
Decapsulated Decapsulate(absl::Span<const uint8_t> datagram);

// Writes the 4-byte header for an inner IP packet.
void WriteHeader(absl::Span<uint8_t> out);

}  // namespace plait::io::udp

#endif  // PLAIT_DATAPLANE_IO_UDP_ENCAPSULATION_H_
