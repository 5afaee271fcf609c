#include "dataplane/wire/ip_header.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dataplane/wire/checksum.h"

namespace plait::wire {
namespace {

absl::Status Ipv4Error(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("IPv4 header: ", what));
}

absl::Status Ipv6Error(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("IPv6 header: ", what));
}

const char* Ipv6ExtensionName(uint8_t next_header) {
  switch (next_header) {
    case kIpProtocolHopByHop:
      return "hop-by-hop options";
    case kIpProtocolIpv6Routing:
      return "routing";
    case kIpProtocolIpv6Fragment:
      return "fragment";
    case kIpProtocolIpv6DestinationOptions:
      return "destination options";
  }
  return "unknown";
}

bool IsIpv6Extension(uint8_t next_header) {
  return next_header == kIpProtocolHopByHop ||
         next_header == kIpProtocolIpv6Routing ||
         next_header == kIpProtocolIpv6Fragment ||
         next_header == kIpProtocolIpv6DestinationOptions;
}

}  // namespace

absl::StatusOr<Ipv4Header> ParseIpv4(absl::Span<const uint8_t> packet) {
  if (packet.size() < kIpv4MinHeaderLength) {
    return Ipv4Error(absl::StrCat(packet.size(), " bytes, need at least ",
                                  kIpv4MinHeaderLength));
  }
  ByteReader r(packet);
  Ipv4Header h;
  uint8_t version_ihl = 0;
  uint16_t flags_offset = 0;
  absl::Span<const uint8_t> src, dst;
  // The size check above makes these fixed-size reads succeed.
  r.ReadU8(&version_ihl);
  r.ReadU8(&h.tos);
  r.ReadU16(&h.total_length);
  r.ReadU16(&h.identification);
  r.ReadU16(&flags_offset);
  r.ReadU8(&h.ttl);
  r.ReadU8(&h.protocol);
  r.ReadU16(&h.header_checksum);
  r.ReadBytes(4, &src);
  r.ReadBytes(4, &dst);

  const uint8_t version = version_ihl >> 4;
  if (version != 4) {
    return Ipv4Error(absl::StrCat("version ", version, ", expected 4"));
  }
  h.ihl = version_ihl & 0x0f;
  if (h.ihl < 5) {
    return Ipv4Error(absl::StrCat("IHL ", h.ihl, " is below the minimum 5"));
  }
  const size_t header_length = size_t{h.ihl} * 4;
  if (header_length > packet.size()) {
    return Ipv4Error(absl::StrCat("IHL ", h.ihl, " (", header_length,
                                  " bytes) exceeds the ", packet.size(),
                                  " bytes available"));
  }
  if (h.total_length < header_length) {
    return Ipv4Error(absl::StrCat("total length ", h.total_length,
                                  " is below the header length ",
                                  header_length));
  }
  if (h.total_length > packet.size()) {
    return Ipv4Error(absl::StrCat("total length ", h.total_length,
                                  " exceeds the ", packet.size(),
                                  " bytes available"));
  }
  const absl::Span<const uint8_t> header = packet.subspan(0, header_length);
  InternetChecksum verify;
  verify.Add(header);
  if (verify.Finish() != 0) {
    InternetChecksum expected;
    expected.Add(header.subspan(0, 10));
    expected.Add(header.subspan(12));
    return Ipv4Error(
        absl::StrFormat("checksum 0x%04x does not match the computed 0x%04x",
                        h.header_checksum, expected.Finish()));
  }

  h.flags = static_cast<uint8_t>(flags_offset >> 13);
  h.fragment_offset = flags_offset & 0x1fff;
  h.src = IpAddress::V4Bytes(src);
  h.dst = IpAddress::V4Bytes(dst);
  r.ReadBytes(header_length - kIpv4MinHeaderLength, &h.options);
  h.payload = packet.subspan(header_length, h.total_length - header_length);
  return h;
}

absl::StatusOr<Ipv6Header> ParseIpv6(absl::Span<const uint8_t> packet) {
  if (packet.size() < kIpv6HeaderLength) {
    return Ipv6Error(absl::StrCat(packet.size(), " bytes, need at least ",
                                  kIpv6HeaderLength));
  }
  ByteReader r(packet);
  Ipv6Header h;
  uint32_t first_word = 0;
  absl::Span<const uint8_t> src, dst;
  r.ReadU32(&first_word);
  r.ReadU16(&h.payload_length);
  r.ReadU8(&h.next_header);
  r.ReadU8(&h.hop_limit);
  r.ReadBytes(16, &src);
  r.ReadBytes(16, &dst);

  const uint32_t version = first_word >> 28;
  if (version != 6) {
    return Ipv6Error(absl::StrCat("version ", version, ", expected 6"));
  }
  h.traffic_class = static_cast<uint8_t>(first_word >> 20);
  h.flow_label = first_word & 0xfffff;
  h.src = IpAddress::V6Bytes(src);
  h.dst = IpAddress::V6Bytes(dst);
  if (h.payload_length > packet.size() - kIpv6HeaderLength) {
    return Ipv6Error(absl::StrCat(
        "payload length ", h.payload_length, " exceeds the ",
        packet.size() - kIpv6HeaderLength, " bytes after the fixed header"));
  }

  // Walk the extension headers within the payload. Every header is at least
  // 8 bytes, so the loop ends.
  const absl::Span<const uint8_t> payload =
      packet.subspan(kIpv6HeaderLength, h.payload_length);
  ByteReader ext(payload);
  uint8_t next = h.next_header;
  while (IsIpv6Extension(next)) {
    const size_t offset = kIpv6HeaderLength + ext.position();
    const char* name = Ipv6ExtensionName(next);
    if (next == kIpProtocolHopByHop && ext.position() != 0) {
      return Ipv6Error(absl::StrCat("hop-by-hop options header at offset ",
                                    offset,
                                    " is not directly after the fixed header"));
    }
    if (ext.remaining() < 8) {
      return Ipv6Error(absl::StrCat(name, " header at offset ", offset, ": ",
                                    ext.remaining(),
                                    " bytes left in the payload, need 8"));
    }
    uint8_t following = 0;
    if (next == kIpProtocolIpv6Fragment) {
      uint8_t reserved = 0;
      uint16_t offset_flags = 0;
      ext.ReadU8(&following);
      ext.ReadU8(&reserved);
      ext.ReadU16(&offset_flags);
      ext.ReadU32(&h.fragment_identification);
      h.has_fragment_header = true;
      h.fragment_offset = offset_flags >> 3;
      h.more_fragments = (offset_flags & 1) != 0;
      next = following;
      // Past a non-first fragment's header is fragment data, not headers.
      if (h.fragment_offset != 0) break;
      continue;
    }
    uint8_t length_units = 0;
    ext.ReadU8(&following);
    ext.ReadU8(&length_units);
    const size_t length = (size_t{length_units} + 1) * 8;
    if (!ext.Skip(length - 2)) {
      return Ipv6Error(absl::StrCat(name, " header at offset ", offset,
                                    ": length ", length, " runs past the ",
                                    ext.remaining() + 2,
                                    " bytes left in the payload"));
    }
    next = following;
  }
  h.protocol = next;
  h.payload = ext.Rest();
  return h;
}

absl::StatusOr<IpPacket> ParseIpPacket(absl::Span<const uint8_t> packet) {
  if (packet.empty()) {
    return absl::InvalidArgumentError("IP packet: empty buffer");
  }
  const uint8_t version = packet[0] >> 4;
  IpPacket p;
  if (version == 4) {
    absl::StatusOr<Ipv4Header> h = ParseIpv4(packet);
    if (!h.ok()) return h.status();
    p.src = h->src;
    p.dst = h->dst;
    p.protocol = h->protocol;
    p.payload = h->payload;
    p.fragment = h->is_fragment();
    p.ttl_or_hop_limit = h->ttl;
    p.tos_or_traffic_class = h->tos;
    return p;
  }
  if (version == 6) {
    absl::StatusOr<Ipv6Header> h = ParseIpv6(packet);
    if (!h.ok()) return h.status();
    p.src = h->src;
    p.dst = h->dst;
    p.protocol = h->protocol;
    p.payload = h->payload;
    p.fragment = h->is_fragment();
    p.ttl_or_hop_limit = h->hop_limit;
    p.tos_or_traffic_class = h->traffic_class;
    return p;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("IP packet: version ", version, " is neither 4 nor 6"));
}

absl::Status WriteIpv4Header(const Ipv4HeaderFields& fields,
                             size_t payload_length, ByteWriter& out) {
  if (!fields.src.is_v4() || !fields.dst.is_v4()) {
    return Ipv4Error(
        absl::StrCat("cannot write addresses ", fields.src.ToString(), " -> ",
                     fields.dst.ToString(), ": both must be IPv4"));
  }
  if (payload_length > 0xffff - kIpv4MinHeaderLength) {
    return Ipv4Error(absl::StrCat("payload length ", payload_length,
                                  " exceeds the maximum ",
                                  0xffff - kIpv4MinHeaderLength));
  }
  const size_t room = out.remaining();
  const uint16_t total_length =
      static_cast<uint16_t>(kIpv4MinHeaderLength + payload_length);
  const uint16_t flags_offset =
      fields.dont_fragment ? uint16_t{Ipv4Header::kDontFragment} << 13 : 0;

  InternetChecksum sum;
  sum.AddU16(0x4500 | fields.tos);
  sum.AddU16(total_length);
  sum.AddU16(fields.identification);
  sum.AddU16(flags_offset);
  sum.AddU16(static_cast<uint16_t>((fields.ttl << 8) | fields.protocol));
  sum.Add(fields.src.bytes());
  sum.Add(fields.dst.bytes());

  out.WriteU8(0x45);
  out.WriteU8(fields.tos);
  out.WriteU16(total_length);
  out.WriteU16(fields.identification);
  out.WriteU16(flags_offset);
  out.WriteU8(fields.ttl);
  out.WriteU8(fields.protocol);
  out.WriteU16(sum.Finish());
  out.WriteBytes(fields.src.bytes());
  out.WriteBytes(fields.dst.bytes());
  if (!out.ok()) {
    return absl::ResourceExhaustedError(absl::StrCat("IPv4 header: output has ",
                                                     room, " bytes left, need ",
                                                     kIpv4MinHeaderLength));
  }
  return absl::OkStatus();
}

absl::Status WriteIpv6Header(const Ipv6HeaderFields& fields,
                             size_t payload_length, ByteWriter& out) {
  if (fields.src.is_v4() || fields.dst.is_v4()) {
    return Ipv6Error(
        absl::StrCat("cannot write addresses ", fields.src.ToString(), " -> ",
                     fields.dst.ToString(), ": both must be IPv6"));
  }
  if (fields.flow_label > 0xfffff) {
    return Ipv6Error(absl::StrFormat("flow label 0x%x does not fit in 20 bits",
                                     fields.flow_label));
  }
  if (payload_length > 0xffff) {
    return Ipv6Error(absl::StrCat("payload length ", payload_length,
                                  " exceeds the maximum 65535"));
  }
  const size_t room = out.remaining();
  out.WriteU32((uint32_t{6} << 28) | (uint32_t{fields.traffic_class} << 20) |
               fields.flow_label);
  out.WriteU16(static_cast<uint16_t>(payload_length));
  out.WriteU8(fields.next_header);
  out.WriteU8(fields.hop_limit);
  out.WriteBytes(fields.src.bytes());
  out.WriteBytes(fields.dst.bytes());
  if (!out.ok()) {
    return absl::ResourceExhaustedError(absl::StrCat("IPv6 header: output has ",
                                                     room, " bytes left, need ",
                                                     kIpv6HeaderLength));
  }
  return absl::OkStatus();
}

}  // namespace plait::wire
