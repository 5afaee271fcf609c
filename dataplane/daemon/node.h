// What the daemon needs from its packet I/O, whichever it is: one MPTCP
// stack driven by the event loop (UdpNode: subflows in UDP datagrams;
// TunNode: real MPTCP through a TUN device). The proxy and the statistics
// in daemon.cc work on this interface only.
#ifndef PLAIT_DATAPLANE_DAEMON_NODE_H_
#define PLAIT_DATAPLANE_DAEMON_NODE_H_

#include <vector>

#include "dataplane/metrics/path_counters.h"
#include "dataplane/stack/stack.h"

namespace plait::daemon {

using PathCounters = metrics::PathCounters;

class Node {
 public:
  virtual ~Node() = default;

  virtual stack::Stack* stack() = 0;

  // Sends what the stack queued and moves the timer to its next deadline.
  // Call after working on a connection from outside the node's own
  // callbacks (e.g. a proxy socket event); inside them it does nothing,
  // since the node does it once the callback returns.
  virtual void Kick() = 0;

  // Packets and bytes each path address sent and received since the node
  // started, one entry per path in configuration order (for the metrics).
  virtual std::vector<PathCounters> path_counters() const = 0;
};

}  // namespace plait::daemon

#endif  // PLAIT_DATAPLANE_DAEMON_NODE_H_
