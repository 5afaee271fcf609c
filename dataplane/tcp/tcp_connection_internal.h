// Constants and helpers shared by the files that implement TcpConnection
// (tcp_connection.cc, _send.cc, _receive.cc, _timers.cc). Internal to the
// package.
#ifndef PLAIT_DATAPLANE_TCP_TCP_CONNECTION_INTERNAL_H_
#define PLAIT_DATAPLANE_TCP_TCP_CONNECTION_INTERNAL_H_

#include <cstddef>
#include <cstdint>

#include "dataplane/wire/segment.h"
#include "dataplane/wire/tcp_header.h"

namespace plait::tcp::internal {

inline constexpr uint8_t kSyn = wire::TcpHeader::kSyn;
inline constexpr uint8_t kAck = wire::TcpHeader::kAck;
inline constexpr uint8_t kFin = wire::TcpHeader::kFin;
inline constexpr uint8_t kRst = wire::TcpHeader::kRst;
inline constexpr uint8_t kPsh = wire::TcpHeader::kPsh;

// RFC 9293's default MSS when the peer sends none.
inline constexpr size_t kDefaultPeerMss = 536;
// Linux's TCP_MIN_MSS: room for 40 bytes of options and 48 of data.
inline constexpr size_t kMinimumMss = 88;
// Largest IP packet the engine builds: IPv6 header, 60 bytes of TCP header
// and a full MSS.
inline constexpr size_t kMaxPacket = 40 + 60 + 65535;

inline bool Has(const wire::Segment& s, uint8_t flag) {
  return s.tcp.has(flag);
}

}  // namespace plait::tcp::internal

#endif  // PLAIT_DATAPLANE_TCP_TCP_CONNECTION_INTERNAL_H_
