#include "dataplane/pm/explicit_path_manager.h"

#include <memory>

#include "dataplane/pm/path_manager.h"
#include "dataplane/pm/path_manager_base.h"

namespace plait::pm {
namespace {

// The base class's requests and bookkeeping without any policy hooks.
class ExplicitPathManager final : public PathManagerBase {
 public:
  using PathManagerBase::PathManagerBase;

  const char* name() const override { return "explicit"; }
};

}  // namespace

std::unique_ptr<PathManager> NewExplicitPathManager(
    const PathManagerConfig& config) {
  return std::make_unique<ExplicitPathManager>(config);
}

}  // namespace plait::pm
