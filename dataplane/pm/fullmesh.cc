#include "dataplane/pm/fullmesh.h"

#include <memory>

#include "dataplane/pm/path_manager.h"
#include "dataplane/pm/path_manager_base.h"

namespace plait::pm {
namespace {

class FullmeshPathManager final : public PathManagerBase {
 public:
  using PathManagerBase::PathManagerBase;

  const char* name() const override { return "fullmesh"; }

 protected:
  void AfterEstablished(Time now, Actions& out) override {
    AddInitialSlot();
    for (const Endpoint& endpoint : endpoints()) {
      MaybeAnnounce(endpoint, out);
    }
    for (const Endpoint& endpoint : endpoints()) {
      AddEndpointSlots(endpoint);
    }
  }

  void AfterAddAddr(Time now, const RemoteAddress& address,
                    Actions& out) override {
    bool any_fullmesh = false;
    for (const Endpoint& endpoint : endpoints()) {
      if (endpoint.subflow && endpoint.fullmesh) {
        any_fullmesh = true;
        AddSlot(&endpoint, address.id);
      }
    }
    if (!any_fullmesh) AddSlot(nullptr, address.id);
  }

  void AfterEndpointAdded(Time now, const Endpoint& endpoint,
                          Actions& out) override {
    MaybeAnnounce(endpoint, out);
    AddEndpointSlots(endpoint);
  }

 private:
  void MaybeAnnounce(const Endpoint& endpoint, Actions& out) {
    if (!endpoint.signal) return;
    if (endpoint.address == initial().local && !endpoint.port.has_value()) {
      return;
    }
    AnnounceEndpoint(endpoint, out);
  }

  void AddEndpointSlots(const Endpoint& endpoint) {
    if (!endpoint.subflow) return;
    if (!endpoint.fullmesh) {
      AddSlot(&endpoint, kInitialAddressId);
      return;
    }
    for (const RemoteAddress& remote : RemoteAddresses()) {
      AddSlot(&endpoint, remote.id);
    }
  }
};

}  // namespace

std::unique_ptr<PathManager> NewFullmeshPathManager(
    const PathManagerConfig& config) {
  return std::make_unique<FullmeshPathManager>(config);
}

}  // namespace plait::pm
