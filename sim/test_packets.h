// Test helper: whole TCP/IP packets built with dataplane/wire's writers,
// with correct IPv4 header and TCP checksums.
#ifndef PLAIT_SIM_TEST_PACKETS_H_
#define PLAIT_SIM_TEST_PACKETS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "dataplane/wire/ip_address.h"
#include "sim/packet.h"

namespace plait::sim::testing {

struct TcpPacketSpec {
  wire::IpAddress src;  // IPv4 or IPv6, both the same family
  wire::IpAddress dst;
  uint16_t src_port = 40000;
  uint16_t dst_port = 80;
  uint32_t seq = 1000;
  uint32_t ack = 0;
  uint8_t flags = 0x10;  // ACK
  uint16_t window = 65535;
  // Encoded and padded to a multiple of 4 (e.g. OptionLayout::option_bytes).
  absl::Span<const uint8_t> options;
  size_t payload_size = 0;  // payload bytes are 0, 1, 2, ... (mod 256)
};

// The packet bytes; aborts the test binary on a bad spec.
std::vector<uint8_t> BuildTcpPacket(const TcpPacketSpec& spec);

// A Packet of `size` bytes for elements that never parse (links): an IPv4
// header is not needed there, so the bytes are just the value `fill`.
Packet OpaquePacket(uint64_t id, size_t size, uint8_t fill = 0);

// Shorthand for tests.
wire::IpAddress Addr(const char* text);

}  // namespace plait::sim::testing

#endif  // PLAIT_SIM_TEST_PACKETS_H_
