#include "sim/ip_peek.h"

namespace plait::sim {

std::optional<IpAddresses> PeekIpAddresses(absl::Span<const uint8_t> packet) {
  if (packet.empty()) return std::nullopt;
  const uint8_t version = packet[0] >> 4;
  if (version == 4 && packet.size() >= 20) {
    return IpAddresses{wire::IpAddress::V4Bytes(packet.subspan(12, 4)),
                       wire::IpAddress::V4Bytes(packet.subspan(16, 4))};
  }
  if (version == 6 && packet.size() >= 40) {
    return IpAddresses{wire::IpAddress::V6Bytes(packet.subspan(8, 16)),
                       wire::IpAddress::V6Bytes(packet.subspan(24, 16))};
  }
  return std::nullopt;
}

}  // namespace plait::sim
