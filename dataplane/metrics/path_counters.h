// Traffic on one path of the node, as its packet I/O counts it: monotonic
// totals since the node started. A path is a local address of the node
// (UDP mode: a path socket's inner address; TUN mode: a path address the
// host routes to the device), so there are only a few of them, which makes
// the address a bounded metric label.
#ifndef PLAIT_DATAPLANE_METRICS_PATH_COUNTERS_H_
#define PLAIT_DATAPLANE_METRICS_PATH_COUNTERS_H_

#include <cstdint>

#include "dataplane/wire/ip_address.h"

namespace plait::metrics {

struct PathCounters {
  wire::IpAddress address;
  uint64_t packets_sent = 0;
  uint64_t packets_received = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
};

}  // namespace plait::metrics

#endif  // PLAIT_DATAPLANE_METRICS_PATH_COUNTERS_H_
