// Inner IP packets for the tests: a valid IPv4 or IPv6 header (the family of
// `src`) followed by `payload`. The transport does not look past the IP
// header, so the payload need not be TCP.
#ifndef PLAIT_DATAPLANE_IO_UDP_TEST_PACKETS_H_
#define PLAIT_DATAPLANE_IO_UDP_TEST_PACKETS_H_

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "dataplane/wire/byte_io.h"
#include "dataplane/wire/ip_address.h"
#include "dataplane/wire/ip_header.h"

namespace plait::io::udp::testing {

inline wire::IpAddress Ip(const char* text) {
  return *wire::IpAddress::Parse(text);
}

inline std::vector<uint8_t> InnerPacket(const wire::IpAddress& src,
                                        const wire::IpAddress& dst,
                                        absl::Span<const uint8_t> payload) {
  std::vector<uint8_t> packet((src.is_v4() ? 20 : 40) + payload.size());
  wire::ByteWriter out(absl::MakeSpan(packet));
  if (src.is_v4()) {
    wire::Ipv4HeaderFields fields;
    fields.src = src;
    fields.dst = dst;
    (void)wire::WriteIpv4Header(fields, payload.size(), out);
  } else {
    wire::Ipv6HeaderFields fields;
    fields.src = src;
    fields.dst = dst;
    (void)wire::WriteIpv6Header(fields, payload.size(), out);
  }
  std::copy(payload.begin(), payload.end(), packet.end() - payload.size());
  return packet;
}

}  // namespace plait::io::udp::testing

#endif  // PLAIT_DATAPLANE_IO_UDP_TEST_PACKETS_H_
