#include "sim/test_packets.h"

#include <cstdio>
#include <cstdlib>

#include "dataplane/wire/byte_io.h"
#include "dataplane/wire/ip_header.h"
#include "dataplane/wire/tcp_header.h"

namespace plait::sim::testing {
namespace {

void Check(const absl::Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "BuildTcpPacket: %s\n", status.ToString().c_str());
    std::abort();
  }
}

}  // namespace

std::vector<uint8_t> BuildTcpPacket(const TcpPacketSpec& spec) {
  std::vector<uint8_t> tcp(wire::kTcpMinHeaderLength + spec.options.size() +
                           spec.payload_size);
  wire::ByteWriter tcp_out(absl::MakeSpan(tcp));
  wire::TcpHeaderFields fields;
  fields.src_port = spec.src_port;
  fields.dst_port = spec.dst_port;
  fields.seq = spec.seq;
  fields.ack = spec.ack;
  fields.flags = spec.flags;
  fields.window = spec.window;
  Check(wire::WriteTcpHeader(fields, spec.options, tcp_out));
  for (size_t i = 0; i < spec.payload_size; ++i) {
    tcp_out.WriteU8(static_cast<uint8_t>(i));
  }
  Check(wire::FillTcpChecksum(spec.src, spec.dst, absl::MakeSpan(tcp)));

  const size_t ip_header =
      spec.src.is_v4() ? wire::kIpv4MinHeaderLength : wire::kIpv6HeaderLength;
  std::vector<uint8_t> packet(ip_header + tcp.size());
  wire::ByteWriter out(absl::MakeSpan(packet));
  if (spec.src.is_v4()) {
    wire::Ipv4HeaderFields ip;
    ip.src = spec.src;
    ip.dst = spec.dst;
    Check(wire::WriteIpv4Header(ip, tcp.size(), out));
  } else {
    wire::Ipv6HeaderFields ip;
    ip.src = spec.src;
    ip.dst = spec.dst;
    Check(wire::WriteIpv6Header(ip, tcp.size(), out));
  }
  out.WriteBytes(tcp);
  return packet;
}

Packet OpaquePacket(uint64_t id, size_t size, uint8_t fill) {
  Packet packet;
  packet.bytes.assign(size, fill);
  packet.id = id;
  return packet;
}

wire::IpAddress Addr(const char* text) {
  absl::StatusOr<wire::IpAddress> address = wire::IpAddress::Parse(text);
  Check(address.status());
  return *address;
}

}  // namespace plait::sim::testing
