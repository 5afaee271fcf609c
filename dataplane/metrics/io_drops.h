// The packet I/O's drop counters as MetricsSnapshot::io_drops, by direction
// and reason: every reason is listed, zero or not, so that the series exist
// from the first scrape (a rate() over a series that appears late misses
// its first increase).
#ifndef PLAIT_DATAPLANE_METRICS_IO_DROPS_H_
#define PLAIT_DATAPLANE_METRICS_IO_DROPS_H_

#include <vector>

#include "dataplane/io/tun/tun_device.h"
#include "dataplane/io/udp/udp_transport.h"
#include "dataplane/metrics/snapshot.h"

namespace plait::metrics {

// UDP mode: received datagrams dropped by the transport (DropReasonName),
// and outgoing packets dropped by the transport (malformed, no_path,
// no_peer, family_mismatch) or by the path sockets (queue_full, too_big,
// send_error), summed over the paths.
std::vector<IoDrop> UdpIoDrops(const io::udp::UdpTransport& transport);

// TUN mode: not_ip and too_short when read, queue_full, too_large and
// write_error when sent (TunDevice::DropName).
std::vector<IoDrop> TunIoDrops(const io::tun::TunDevice::Stats& stats);

}  // namespace plait::metrics

#endif  // PLAIT_DATAPLANE_METRICS_IO_DROPS_H_
