// "explicit": does nothing on its own, like Linux's userspace path manager
// with a controller behind it. Subflows are opened and closed only through
// OpenSubflow / CloseSubflow, addresses announced only through Announce /
// WithdrawAnnouncement; limits.max_subflows applies to OpenSubflow and to the
// peer's joins, limits.max_add_addr_accepted to the ADD_ADDRs it records for
// OpenSubflow's remote ids. Failed subflows are not re-created: the
// controller sees the events and decides.
#ifndef PLAIT_DATAPLANE_PM_EXPLICIT_PATH_MANAGER_H_
#define PLAIT_DATAPLANE_PM_EXPLICIT_PATH_MANAGER_H_

#include <memory>

#include "dataplane/pm/path_manager.h"

namespace plait::pm {

// `config` must be valid (ValidateConfig).
std::unique_ptr<PathManager> NewExplicitPathManager(
    const PathManagerConfig& config);

}  // namespace plait::pm

#endif  // PLAIT_DATAPLANE_PM_EXPLICIT_PATH_MANAGER_H_
