// The daemon's side of the API (api::ServiceBackend): its status, its
// policy and its connections, read and changed on the loop thread.
#ifndef PLAIT_DATAPLANE_DAEMON_API_BACKEND_H_
#define PLAIT_DATAPLANE_DAEMON_API_BACKEND_H_

#include <string>
#include <vector>

#include "dataplane/api/dataplane_service.h"
#include "dataplane/daemon/node.h"
#include "dataplane/daemon/options.h"
#include "dataplane/daemon/policy_control.h"
#include "dataplane/proxy/bridge_set.h"
#include "dataplane/runtime/event_loop.h"

namespace plait::daemon {

// plaitd's version, as GetStatus and --version report it.
inline constexpr char kPlaitVersion[] = "0.6.0";

class ApiBackend : public api::ServiceBackend {
 public:
  // Everything must outlive the backend. `via` names each path's I/O (the
  // UDP socket's endpoint, or the TUN device).
  ApiBackend(runtime::EventLoop* loop, const DaemonOptions* options,
             Node* node, proxy::BridgeSet* bridges, PolicyControl* policy,
             std::vector<std::string> via);

  // The listeners' names (forward:..., serve:...), once they exist.
  void set_listeners(std::vector<std::string> listeners) {
    listeners_ = std::move(listeners);
  }

  void FillStatus(v1::Status* status) override;
  v1::PolicyState GetPolicy() override { return policy_->State(); }
  absl::StatusOr<v1::SetPolicyResponse> SetPolicy(const v1::Policy& policy,
                                                  bool dry_run) override {
    return policy_->Set(policy, dry_run);
  }
  absl::Status ValidatePolicy(const v1::Policy& policy) override {
    return policy_->Validate(policy);
  }
  proxy::BridgeSet& bridges() override { return *bridges_; }
  const std::vector<wire::IpAddress>& paths() const override {
    return options_->paths;
  }
  Time Now() const override { return loop_->Now(); }
  void Kick() override { node_->Kick(); }

 private:
  runtime::EventLoop* const loop_;
  const DaemonOptions* const options_;
  Node* const node_;
  proxy::BridgeSet* const bridges_;
  PolicyControl* const policy_;
  const std::vector<std::string> via_;
  const Time started_;
  std::vector<std::string> listeners_;
};

}  // namespace plait::daemon

#endif  // PLAIT_DATAPLANE_DAEMON_API_BACKEND_H_
