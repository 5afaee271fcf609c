// The daemon, assembled: event loop, signals and drain, the packet I/O of
// its mode (a UdpNode or a TunNode, behind daemon::Node), the proxy's
// forwarders and servers, connection and statistics logs.
#ifndef PLAIT_DATAPLANE_DAEMON_DAEMON_H_
#define PLAIT_DATAPLANE_DAEMON_DAEMON_H_

#include "absl/status/status.h"
#include "dataplane/daemon/log.h"
#include "dataplane/daemon/options.h"

namespace plait::daemon {

// Runs until a drain (SIGTERM/SIGINT) finishes. Errors: setting up (a port
// in use, an address not on this host), or the loop failing.
absl::Status RunDaemon(const DaemonOptions& options, Logger* log);

}  // namespace plait::daemon

#endif  // PLAIT_DATAPLANE_DAEMON_DAEMON_H_
