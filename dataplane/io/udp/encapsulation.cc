#include "dataplane/io/udp/encapsulation.h"

namespace plait::io::udp {

const char* DropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kTooShort:
      return "too_short";
    case DropReason::kBadMagic:
      return "bad_magic";
    case DropReason::kBadVersion:
      return "bad_version";
    case DropReason::kUnknownType:
      return "unknown_type";
    case DropReason::kBadInnerPacket:
      return "bad_inner_packet";
    case DropReason::kTruncated:
      return "truncated";
    case DropReason::kWrongDestination:
      return "wrong_destination";
    case DropReason::kUnknownPeer:
      return "unknown_peer";
    case DropReason::kPeerMismatch:
      return "peer_mismatch";
  }
  return "unknown";
}

bool ReadInnerAddresses(absl::Span<const uint8_t> packet, wire::IpAddress* src,
                        wire::IpAddress* dst) {
  if (packet.empty()) return false;
  const size_t size = packet.size();
  switch (packet[0] >> 4) {
    case 4: {
      if (size < 20 || (packet[0] & 0x0f) < 5) return false;
      if (size_t{(packet[0] & 0x0fu) * 4u} > size) return false;
      const size_t total = (size_t{packet[2]} << 8) | packet[3];
      if (total != size) return false;
      *src = wire::IpAddress::V4Bytes(packet.subspan(12, 4));
      *dst = wire::IpAddress::V4Bytes(packet.subspan(16, 4));
      return true;
    }
    case 6: {
      if (size < 40) return false;
      // A payload length of 0 (a jumbogram) fails here too: never carried.
      const size_t payload = (size_t{packet[4]} << 8) | packet[5];
      if (40 + payload != size) return false;
      *src = wire::IpAddress::V6Bytes(packet.subspan(8, 16));
      *dst = wire::IpAddress::V6Bytes(packet.subspan(24, 16));
      return true;
    }
    default:
      return false;
  }
}

Decapsulated Decapsulate(absl::Span<const uint8_t> datagram) {
  Decapsulated out;
  if (datagram.size() <= kHeaderSize) {
    out.reason = DropReason::kTooShort;
  } else if (datagram[0] != kMagic0 || datagram[1] != kMagic1) {
    out.reason = DropReason::kBadMagic;
  } else if (datagram[2] != kVersion) {
    out.reason = DropReason::kBadVersion;
  } else if (datagram[3] != kTypeIpPacket) {
    out.reason = DropReason::kUnknownType;
  } else {
    out.packet = datagram.subspan(kHeaderSize);
    if (ReadInnerAddresses(out.packet, &out.src, &out.dst)) {
      out.ok = true;
    } else {
      out.reason = DropReason::kBadInnerPacket;
      out.packet = {};
    }
  }
  return out;
}

void WriteHeader(absl::Span<uint8_t> out) {
  out[0] = kMagic0;
  out[1] = kMagic1;
  out[2] = kVersion;
  out[3] = kTypeIpPacket;
}

}  // namespace plait::io::udp
