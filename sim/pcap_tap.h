// A pass-through that records every packet, stamped with the virtual time,
// into an in-memory pcap file (LINKTYPE_RAW, nanosecond timestamps; see
// dataplane/wire/pcap_file.h), then forwards it. Splice it anywhere a
// PacketSink goes, e.g. in front of a link's destination to capture what the
// link delivers; the driver writes bytes() to a file (this code does no
// file I/O) for tshark or plait-wire.
#ifndef PLAIT_SIM_PCAP_TAP_H_
#define PLAIT_SIM_PCAP_TAP_H_

#include <cstdint>
#include <string>

#include "dataplane/wire/pcap_file.h"
#include "sim/packet.h"
#include "sim/simulator.h"

namespace plait::sim {

class PcapTap : public PacketSink {
 public:
  // `sim` must outlive the tap; `next` (not owned) may be null, making the
  // tap the end of the path.
  explicit PcapTap(const Simulator* sim, PacketSink* next = nullptr)
      : sim_(sim), next_(next) {}
  PcapTap(const PcapTap&) = delete;
  PcapTap& operator=(const PcapTap&) = delete;

  void set_next(PacketSink* next) { next_ = next; }

  void Receive(Packet packet) override;

  // The whole pcap file so far (global header included).
  const std::string& bytes() const { return writer_.bytes(); }
  uint64_t packets() const { return packets_; }

 private:
  const Simulator* sim_;  // Not owned.
  PacketSink* next_;      // Not owned.
  wire::PcapWriter writer_;
  uint64_t packets_ = 0;
};

}  // namespace plait::sim

#endif  // PLAIT_SIM_PCAP_TAP_H_
