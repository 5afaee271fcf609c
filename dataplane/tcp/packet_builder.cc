#include "dataplane/tcp/packet_builder.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "dataplane/wire/byte_io.h"
#include "dataplane/wire/ip_header.h"
#include "dataplane/wire/tcp_header.h"

namespace plait::tcp {

size_t IpHeaderLength(const wire::IpAddress& address) {
  return address.is_v4() ? wire::kIpv4MinHeaderLength : wire::kIpv6HeaderLength;
}

absl::StatusOr<size_t> BuildTcpPacket(
    const TcpPacketSpec& spec, size_t payload_length,
    absl::FunctionRef<void(uint8_t* destination)> copy_payload,
    absl::Span<uint8_t> out) {
  if (spec.src.family() != spec.dst.family()) {
    return absl::InvalidArgumentError(
        "TCP packet: source and destination are of different families");
  }
  const size_t ip_length = IpHeaderLength(spec.src);
  const size_t tcp_length =
      wire::kTcpMinHeaderLength + spec.options.size() + payload_length;
  const size_t total = ip_length + tcp_length;
  if (total > out.size()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("TCP packet: ", total, " bytes do not fit a ", out.size(),
                     "-byte buffer"));
  }
  wire::ByteWriter writer(out);
  absl::Status status;
  if (spec.src.is_v4()) {
    wire::Ipv4HeaderFields ip;
    ip.src = spec.src;
    ip.dst = spec.dst;
    ip.ttl = spec.ttl;
    status = wire::WriteIpv4Header(ip, tcp_length, writer);
  } else {
    wire::Ipv6HeaderFields ip;
    ip.src = spec.src;
    ip.dst = spec.dst;
    ip.hop_limit = spec.ttl;
    status = wire::WriteIpv6Header(ip, tcp_length, writer);
  }
  if (!status.ok()) return status;
  wire::TcpHeaderFields tcp;
  tcp.src_port = spec.src_port;
  tcp.dst_port = spec.dst_port;
  tcp.seq = spec.seq;
  tcp.ack = spec.ack;
  tcp.flags = spec.flags;
  tcp.window = spec.window;
  status = wire::WriteTcpHeader(tcp, spec.options, writer);
  if (!status.ok()) return status;
  if (payload_length > 0) copy_payload(out.data() + writer.written());
  status = wire::FillTcpChecksum(spec.src, spec.dst,
                                 out.subspan(ip_length, tcp_length));
  if (!status.ok()) return status;
  return total;
}

absl::StatusOr<size_t> BuildResetReply(const wire::Segment& segment,
                                       absl::Span<uint8_t> out) {
  using wire::TcpHeader;
  const wire::TcpHeader& tcp = segment.tcp;
  TcpPacketSpec spec;
  spec.src = segment.ip.dst;
  spec.dst = segment.ip.src;
  spec.src_port = tcp.dst_port;
  spec.dst_port = tcp.src_port;
  if (tcp.has(TcpHeader::kAck)) {
    spec.seq = tcp.ack;
    spec.flags = TcpHeader::kRst;
  } else {
    spec.ack = tcp.seq + static_cast<uint32_t>(tcp.payload.size()) +
               (tcp.has(TcpHeader::kSyn) ? 1 : 0) +
               (tcp.has(TcpHeader::kFin) ? 1 : 0);
    spec.flags = TcpHeader::kRst | TcpHeader::kAck;
  }
  return BuildTcpPacket(
      spec, 0, [](uint8_t*) {}, out);
}

}  // namespace plait::tcp
