// What moves through the simulated network, and the one interface every
// network element implements.
//
// A Packet is a whole IPv4 or IPv6 packet as it would be on the wire (no link
// layer), so middleboxes and pcap taps see exactly what a real path would
// carry. Elements pass packets by value (moved), so each element owns the
// packet it is handling and may rewrite it in place.
#ifndef PLAIT_SIM_PACKET_H_
#define PLAIT_SIM_PACKET_H_

#include <cstdint>
#include <vector>

#include "dataplane/base/time.h"

namespace plait::sim {

struct Packet {
  // The whole IP packet, starting with the IP header.
  std::vector<uint8_t> bytes;
  // Unique within a run (Simulator::NextPacketId), for logs and tests; kept
  // unchanged by every element, including rewriting middleboxes.
  uint64_t id = 0;
  // When the sender handed it to the network.
  Time sent_at{};

  size_t size() const { return bytes.size(); }
};

// Anything that accepts packets: links, hosts, routers, middleboxes, taps.
// Receive is called at the current virtual time (Simulator::now()); an
// element that delays a packet schedules a simulator event for it. Receive
// must not be re-entered into the same element synchronously through a cycle
// of zero-delay elements.
class PacketSink {
 public:
  virtual ~PacketSink() = default;
  virtual void Receive(Packet packet) = 0;
};

}  // namespace plait::sim

#endif  // PLAIT_SIM_PACKET_H_
