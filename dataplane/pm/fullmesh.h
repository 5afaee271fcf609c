// "fullmesh": Linux's in-kernel path manager (net/mptcp/pm_kernel.c), plus
// re-creation of failed subflows.
//
// On establishment it announces every `signal` endpoint once (except one
// equal to the initial local address without a port, which the peer knows
// as id 0) and wants a subflow from every `subflow` endpoint to the peer's
// initial address. Each accepted ADD_ADDR adds a subflow from every
// `fullmesh` endpoint to the new address or, with no fullmesh endpoint, one
// from the initial local address (where Linux lets routing pick the source).
// Endpoints added later are announced / used the same way. `backup` endpoints
// open backup subflows. Subflows open in that order while
// limits.max_subflows allows; the rest wait for a place. Failed subflows,
// including the initial one, are re-created as the file comment of
// path_manager.h describes.
#ifndef PLAIT_DATAPLANE_PM_FULLMESH_H_
#define PLAIT_DATAPLANE_PM_FULLMESH_H_

#include <memory>

#include "dataplane/pm/path_manager.h"

namespace plait::pm {

// `config` must be valid (ValidateConfig).
std::unique_ptr<PathManager> NewFullmeshPathManager(
    const PathManagerConfig& config);

}  // namespace plait::pm

#endif  // PLAIT_DATAPLANE_PM_FULLMESH_H_
