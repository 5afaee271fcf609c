// Path managers by name, for the connection's configuration and the command
// line (like net.mptcp.path_manager / available_path_managers).
#ifndef PLAIT_DATAPLANE_PM_REGISTRY_H_
#define PLAIT_DATAPLANE_PM_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dataplane/pm/path_manager.h"

namespace plait::pm {

// A new path manager for one connection: "fullmesh", "ndiffports" or
// "explicit" (exact, lower case). InvalidArgument for an unknown name (the
// message lists the known ones), for an invalid config (ValidateConfig's
// message, naming the field), and for "ndiffports" when
// ndiffports.subflows - 1 exceeds limits.max_subflows.
absl::StatusOr<std::unique_ptr<PathManager>> CreatePathManager(
    absl::string_view name, const PathManagerConfig& config);

// The known names, in registration order.
std::vector<std::string> PathManagerNames();

}  // namespace plait::pm

#endif  // PLAIT_DATAPLANE_PM_REGISTRY_H_
