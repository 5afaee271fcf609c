#include "dataplane/wire/tcp_header.h"

#include "absl/strings/str_cat.h"
#include "dataplane/wire/checksum.h"
#include "dataplane/wire/ip_header.h"

namespace plait::wire {
namespace {

absl::Status TcpError(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("TCP header: ", what));
}

}  // namespace

absl::StatusOr<TcpHeader> ParseTcpHeader(absl::Span<const uint8_t> segment) {
  if (segment.size() < kTcpMinHeaderLength) {
    return TcpError(absl::StrCat("segment is ", segment.size(),
                                 " bytes, need at least ",
                                 kTcpMinHeaderLength));
  }
  ByteReader r(segment);
  TcpHeader h;
  uint8_t offset_reserved = 0;
  // The size check above makes these fixed-size reads succeed.
  r.ReadU16(&h.src_port);
  r.ReadU16(&h.dst_port);
  r.ReadU32(&h.seq);
  r.ReadU32(&h.ack);
  r.ReadU8(&offset_reserved);
  r.ReadU8(&h.flags);
  r.ReadU16(&h.window);
  r.ReadU16(&h.checksum);
  r.ReadU16(&h.urgent_ptr);

  h.data_offset = offset_reserved >> 4;
  h.reserved = offset_reserved & 0x0f;
  if (h.data_offset < 5) {
    return TcpError(
        absl::StrCat("data offset ", h.data_offset, " is below the minimum 5"));
  }
  if (!r.ReadBytes(h.header_length() - kTcpMinHeaderLength, &h.options)) {
    return TcpError(absl::StrCat("data offset ", h.data_offset, " (",
                                 h.header_length(), " bytes) exceeds the ",
                                 segment.size(), "-byte segment"));
  }
  h.payload = r.Rest();
  return h;
}

uint16_t TcpChecksum(const IpAddress& src, const IpAddress& dst,
                     absl::Span<const uint8_t> segment) {
  InternetChecksum sum;
  sum.Add(src.bytes());
  sum.Add(dst.bytes());
  if (src.is_v4()) {
    // zero, protocol, TCP length (RFC 9293 section 3.1)
    sum.AddU16(kIpProtocolTcp);
    sum.AddU16(static_cast<uint16_t>(segment.size()));
  } else {
    // upper-layer packet length (32 bits), zero (24 bits), next header
    // (RFC 8200 section 8.1)
    sum.AddU32(static_cast<uint32_t>(segment.size()));
    sum.AddU32(kIpProtocolTcp);
  }
  sum.Add(segment);
  return sum.Finish();
}

bool VerifyTcpChecksum(const IpAddress& src, const IpAddress& dst,
                       absl::Span<const uint8_t> segment) {
  return TcpChecksum(src, dst, segment) == 0;
}

absl::Status FillTcpChecksum(const IpAddress& src, const IpAddress& dst,
                             absl::Span<uint8_t> segment) {
  if (segment.size() < kTcpMinHeaderLength) {
    return TcpError(
        absl::StrCat("cannot fill the checksum of a ", segment.size(),
                     "-byte segment, need at least ", kTcpMinHeaderLength));
  }
  if (src.family() != dst.family()) {
    return TcpError(absl::StrCat("cannot checksum ", src.ToString(), " -> ",
                                 dst.ToString(),
                                 ": addresses of different families"));
  }
  StoreBe16(segment.data() + kTcpChecksumOffset, 0);
  StoreBe16(segment.data() + kTcpChecksumOffset,
            TcpChecksum(src, dst, segment));
  return absl::OkStatus();
}

absl::Status WriteTcpHeader(const TcpHeaderFields& fields,
                            absl::Span<const uint8_t> options,
                            ByteWriter& out) {
  if (options.size() % 4 != 0 || options.size() > kTcpOptionSpace) {
    return TcpError(absl::StrCat("options length ", options.size(),
                                 " is not a multiple of 4 up to ",
                                 kTcpOptionSpace));
  }
  if (fields.reserved > 0x0f) {
    return TcpError(absl::StrCat("reserved bits ", fields.reserved,
                                 " do not fit in 4 bits"));
  }
  const size_t room = out.remaining();
  const size_t length = kTcpMinHeaderLength + options.size();
  const uint8_t data_offset = static_cast<uint8_t>(length / 4);
  out.WriteU16(fields.src_port);
  out.WriteU16(fields.dst_port);
  out.WriteU32(fields.seq);
  out.WriteU32(fields.ack);
  out.WriteU8(static_cast<uint8_t>((data_offset << 4) | fields.reserved));
  out.WriteU8(fields.flags);
  out.WriteU16(fields.window);
  out.WriteU16(fields.checksum);
  out.WriteU16(fields.urgent_ptr);
  out.WriteBytes(options);
  if (!out.ok()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "TCP header: output has ", room, " bytes left, need ", length));
  }
  return absl::OkStatus();
}

}  // namespace plait::wire
