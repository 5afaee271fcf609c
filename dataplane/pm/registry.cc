#include "dataplane/pm/registry.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "dataplane/pm/explicit_path_manager.h"
#include "dataplane/pm/fullmesh.h"
#include "dataplane/pm/ndiffports.h"
#include "dataplane/pm/path_manager.h"

namespace plait::pm {
namespace {

absl::Status CheckNdiffports(const PathManagerConfig& config) {
  if (config.ndiffports.subflows - 1 > config.limits.max_subflows) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ndiffports.subflows: ", config.ndiffports.subflows,
        " needs limits.max_subflows >= ", config.ndiffports.subflows - 1,
        " (is ", config.limits.max_subflows, ")"));
  }
  return absl::OkStatus();
}

absl::Status NoCheck(const PathManagerConfig&) { return absl::OkStatus(); }

struct Entry {
  const char* name;
  std::unique_ptr<PathManager> (*create)(const PathManagerConfig& config);
  // Checks beyond ValidateConfig.
  absl::Status (*check)(const PathManagerConfig& config);
};

// One line per path manager.
constexpr Entry kPathManagers[] = {
    {"fullmesh", &NewFullmeshPathManager, &NoCheck},
    {"ndiffports", &NewNdiffportsPathManager, &CheckNdiffports},
    {"explicit", &NewExplicitPathManager, &NoCheck},
};

}  // namespace

absl::StatusOr<std::unique_ptr<PathManager>> CreatePathManager(
    absl::string_view name, const PathManagerConfig& config) {
  for (const Entry& entry : kPathManagers) {
    if (name != entry.name) continue;
    if (absl::Status status = ValidateConfig(config); !status.ok()) {
      return status;
    }
    if (absl::Status status = entry.check(config); !status.ok()) {
      return status;
    }
    return entry.create(config);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown path manager \"", name,
                   "\"; known: ", absl::StrJoin(PathManagerNames(), ", ")));
}

std::vector<std::string> PathManagerNames() {
  std::vector<std::string> names;
  for (const Entry& entry : kPathManagers) names.emplace_back(entry.name);
  return names;
}

}  // namespace plait::pm
