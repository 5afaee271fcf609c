#include "dataplane/pm/ndiffports.h"

#include <cstdint>
#include <memory>

#include "dataplane/pm/path_manager.h"
#include "dataplane/pm/path_manager_base.h"

namespace plait::pm {
namespace {

class NdiffportsPathManager final : public PathManagerBase {
 public:
  using PathManagerBase::PathManagerBase;

  const char* name() const override { return "ndiffports"; }

 protected:
  void AfterEstablished(Time now, Actions& out) override {
    AddInitialSlot();
    const NdiffportsConfig& ndiffports = config().ndiffports;
    uint32_t next_port = ndiffports.first_local_port;
    for (int index = 1; index < ndiffports.subflows; ++index) {
      uint16_t port = 0;
      if (ndiffports.first_local_port != 0) {
        if (next_port == initial().local_port) ++next_port;
        if (next_port > 0xffff) break;  // ran out of ports
        port = static_cast<uint16_t>(next_port++);
      }
      AddSlot(nullptr, kInitialAddressId, port, index);
    }
  }
};

}  // namespace

std::unique_ptr<PathManager> NewNdiffportsPathManager(
    const PathManagerConfig& config) {
  return std::make_unique<NdiffportsPathManager>(config);
}

}  // namespace plait::pm
