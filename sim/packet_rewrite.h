// Helpers for elements that rewrite TCP/IP packets in place (the
// middleboxes): finding the TCP segment in a packet, naming its flow,
// walking its options, and restoring the IPv4 header and TCP checksums
// after a change.
#ifndef PLAIT_SIM_PACKET_REWRITE_H_
#define PLAIT_SIM_PACKET_REWRITE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "dataplane/wire/ip_address.h"

namespace plait::sim {

// One direction of a TCP connection.
struct FlowKey {
  wire::IpAddress src;
  wire::IpAddress dst;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;

  // The other direction of the same connection.
  FlowKey Reversed() const { return FlowKey{dst, src, dst_port, src_port}; }
  // The same key for both directions (the lower endpoint first), for state
  // that belongs to the connection rather than to one direction.
  FlowKey Canonical() const;

  friend bool operator==(const FlowKey& a, const FlowKey& b) {
    return a.src == b.src && a.dst == b.dst && a.src_port == b.src_port &&
           a.dst_port == b.dst_port;
  }
  template <typename H>
  friend H AbslHashValue(H h, const FlowKey& k) {
    return H::combine(std::move(h), k.src, k.dst, k.src_port, k.dst_port);
  }
};

// Where a TCP segment sits in a packet's bytes, as ParseSegment found it.
struct TcpLocation {
  FlowKey flow;
  bool is_v4 = true;
  size_t tcp_offset = 0;      // of the TCP header within the packet
  size_t tcp_length = 0;      // header and payload (bounded by the IP length)
  size_t options_offset = 0;  // of the option space within the packet
  size_t options_length = 0;
  uint8_t flags = 0;  // TcpHeader::kSyn | ...
  bool checksum_valid = false;
};

// Locates the TCP segment of a packet that wire::ParseSegment accepts (a
// valid IP header, TCP, a walkable option space); nullopt otherwise.
std::optional<TcpLocation> LocateTcp(absl::Span<const uint8_t> packet);

// Calls fn(offset, kind, length) for each option in the option space at
// [offset, offset + length) of `packet`, offsets relative to the packet.
// NOP and EOL have length 1; the walk stops after EOL or at an option whose
// length byte is missing, below 2 or runs past the end.
void ForEachTcpOption(absl::Span<const uint8_t> packet, size_t options_offset,
                      size_t options_length,
                      absl::FunctionRef<void(size_t, uint8_t, size_t)> fn);

// Recomputes the IPv4 header checksum of `packet` (no-op for IPv6).
void RefreshIpv4HeaderChecksum(absl::Span<uint8_t> packet);

// Recomputes the TCP checksum of the segment at `location`, over the
// addresses now in the packet's IP header.
absl::Status RefreshTcpChecksum(absl::Span<uint8_t> packet,
                                const TcpLocation& location);

}  // namespace plait::sim

#endif  // PLAIT_SIM_PACKET_REWRITE_H_
