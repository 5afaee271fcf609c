#include "sim/pcap_tap.h"

#include <utility>

namespace plait::sim {

void PcapTap::Receive(Packet packet) {
  writer_.Add(static_cast<uint64_t>(SinceEpoch(sim_->now()).count()),
              packet.bytes);
  ++packets_;
  if (next_ != nullptr) next_->Receive(std::move(packet));
}

}  // namespace plait::sim
