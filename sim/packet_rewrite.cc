#include "sim/packet_rewrite.h"

#include <algorithm>

#include "dataplane/wire/byte_io.h"
#include "dataplane/wire/checksum.h"
#include "dataplane/wire/segment.h"
#include "dataplane/wire/tcp_header.h"
#include "dataplane/wire/tcp_options.h"
#include "sim/ip_peek.h"

namespace plait::sim {

FlowKey FlowKey::Canonical() const {
  const auto a = src.bytes();
  const auto b = dst.bytes();
  const bool swap =
      std::lexicographical_compare(b.begin(), b.end(), a.begin(), a.end()) ||
      (a == b && dst_port < src_port);
  return swap ? Reversed() : *this;
}

std::optional<TcpLocation> LocateTcp(absl::Span<const uint8_t> packet) {
  absl::StatusOr<wire::Segment> segment = wire::ParseSegment(packet);
  if (!segment.ok()) return std::nullopt;
  TcpLocation location;
  location.flow = FlowKey{segment->ip.src, segment->ip.dst,
                          segment->tcp.src_port, segment->tcp.dst_port};
  location.is_v4 = segment->ip.src.is_v4();
  location.tcp_offset =
      static_cast<size_t>(segment->ip.payload.data() - packet.data());
  location.tcp_length = segment->ip.payload.size();
  location.options_offset =
      static_cast<size_t>(segment->tcp.options.data() - packet.data());
  location.options_length = segment->tcp.options.size();
  location.flags = segment->tcp.flags;
  location.checksum_valid = segment->checksum_valid;
  // An empty option span may not point into the packet.
  if (location.options_length == 0) {
    location.options_offset = location.tcp_offset + wire::kTcpMinHeaderLength;
  }
  return location;
}

void ForEachTcpOption(absl::Span<const uint8_t> packet, size_t options_offset,
                      size_t options_length,
                      absl::FunctionRef<void(size_t, uint8_t, size_t)> fn) {
  const size_t end = options_offset + options_length;
  size_t i = options_offset;
  while (i < end) {
    const uint8_t kind = packet[i];
    if (kind == wire::kTcpOptionEol || kind == wire::kTcpOptionNop) {
      fn(i, kind, 1);
      if (kind == wire::kTcpOptionEol) return;
      ++i;
      continue;
    }
    if (i + 1 >= end) return;
    const size_t length = packet[i + 1];
    if (length < 2 || i + length > end) return;
    fn(i, kind, length);
    i += length;
  }
}

void RefreshIpv4HeaderChecksum(absl::Span<uint8_t> packet) {
  if (packet.empty() || (packet[0] >> 4) != 4) return;
  const size_t header_length = size_t{packet[0] & 0x0fu} * 4;
  if (header_length < 20 || packet.size() < header_length) return;
  packet[10] = 0;
  packet[11] = 0;
  wire::InternetChecksum sum;
  sum.Add(packet.subspan(0, header_length));
  wire::StoreBe16(packet.data() + 10, sum.Finish());
}

absl::Status RefreshTcpChecksum(absl::Span<uint8_t> packet,
                                const TcpLocation& location) {
  const std::optional<IpAddresses> addresses = PeekIpAddresses(packet);
  if (!addresses.has_value()) {
    return absl::InvalidArgumentError("not an IP packet");
  }
  return wire::FillTcpChecksum(
      addresses->src, addresses->dst,
      packet.subspan(location.tcp_offset, location.tcp_length));
}

}  // namespace plait::sim
