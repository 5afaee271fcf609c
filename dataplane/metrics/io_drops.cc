#include "dataplane/metrics/io_drops.h"

#include "dataplane/io/udp/encapsulation.h"

namespace plait::metrics {

std::vector<IoDrop> UdpIoDrops(const io::udp::UdpTransport& transport) {
  std::vector<IoDrop> drops;
  const io::udp::UdpTransport::Stats& t = transport.stats();
  for (size_t r = 0; r < io::udp::kDropReasonCount; ++r) {
    drops.push_back(
        {"received",
         io::udp::DropReasonName(static_cast<io::udp::DropReason>(r)),
         t.dropped[r]});
  }
  drops.push_back({"sent", "malformed", t.send_malformed});
  drops.push_back({"sent", "no_path", t.send_no_path});
  drops.push_back({"sent", "no_peer", t.send_no_peer});
  drops.push_back({"sent", "family_mismatch", t.send_family_mismatch});
  // The transport's send_queue_drops is the sockets' queue_full + too_big:
  // taken from the sockets, which tell the two apart.
  uint64_t queue_full = 0, too_big = 0, send_errors = 0;
  for (size_t i = 0; i < transport.path_count(); ++i) {
    const io::udp::UdpPathSocket::Stats& s = transport.socket(i).stats();
    queue_full += s.queue_full;
    too_big += s.too_big;
    send_errors += s.send_errors;
  }
  drops.push_back({"sent", "queue_full", queue_full});
  drops.push_back({"sent", "too_big", too_big});
  drops.push_back({"sent", "send_error", send_errors});
  return drops;
}

std::vector<IoDrop> TunIoDrops(const io::tun::TunDevice::Stats& stats) {
  using Drop = io::tun::TunDevice::Drop;
  std::vector<IoDrop> drops;
  for (size_t d = 0; d < io::tun::TunDevice::kDropCount; ++d) {
    const Drop drop = static_cast<Drop>(d);
    const bool received = drop == Drop::kNotIp || drop == Drop::kTooShort;
    drops.push_back({received ? "received" : "sent",
                     io::tun::TunDevice::DropName(drop), stats.drops[d]});
  }
  return drops;
}

}  // namespace plait::metrics
