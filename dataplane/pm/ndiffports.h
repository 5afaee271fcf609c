// "ndiffports": config.ndiffports.subflows subflows over the initial address
// pair, told apart by their source ports (the out-of-tree kernel's
// mptcp_ndiffports). On establishment it opens subflows - 1 extra subflows
// from the initial local address to the peer's initial address and port,
// with local port 0 (the connection picks distinct ephemeral ports) or
// first_local_port, first_local_port + 1, ... skipping the initial subflow's
// port. Endpoints are not used and nothing is announced; ADD_ADDRs are only
// recorded (within limits) for OpenSubflow requests. Failed subflows,
// including the initial one, are re-created as the file comment of
// path_manager.h describes.
#ifndef PLAIT_DATAPLANE_PM_NDIFFPORTS_H_
#define PLAIT_DATAPLANE_PM_NDIFFPORTS_H_

#include <memory>

#include "dataplane/pm/path_manager.h"

namespace plait::pm {

// `config` must be valid (ValidateConfig), and
// config.ndiffports.subflows - 1 <= config.limits.max_subflows (the registry
// checks that).
std::unique_ptr<PathManager> NewNdiffportsPathManager(
    const PathManagerConfig& config);

}  // namespace plait::pm

#endif  // PLAIT_DATAPLANE_PM_NDIFFPORTS_H_
