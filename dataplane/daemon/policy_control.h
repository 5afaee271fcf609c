// The daemon's policy: the one in force (compiled), its generation, its
// persistence under --state-dir, and the plan it gives each new connection.
// Loop thread only.
#ifndef PLAIT_DATAPLANE_DAEMON_POLICY_CONTROL_H_
#define PLAIT_DATAPLANE_DAEMON_POLICY_CONTROL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/policy/compiled_policy.h"
#include "dataplane/policy/policy_store.h"
#include "dataplane/policy/policy_validator.h"
#include "dataplane/proxy/connection_plan.h"
#include "proto/plait/v1/dataplane.pb.h"

namespace plait::daemon {

class PolicyControl {
 public:
  struct Hooks {
    // Wall-clock time (Unix seconds), for the applied time and the name of
    // a set-aside file.
    std::function<double()> unix_now;
    // A policy was applied (SetPolicy, or loaded at start).
    std::function<void(const std::string& version)> on_applied;
    // A policy was refused (SetPolicy, or a corrupt state file), and why.
    std::function<void(const std::string& reason)> on_refused;
  };

  // `defaults` is what connections get where the policy says nothing (the
  // daemon's flags).
  PolicyControl(mptcp::MptcpConfig defaults, std::vector<wire::IpAddress> paths,
                policy::Labels labels, Hooks hooks);

  // Opens --state-dir and applies the policy stored there, if any. A
  // corrupt file is set aside and reported through on_refused (and in
  // last_refusal), and the daemon goes on with its defaults: the result is
  // OK. Errors: the directory cannot be used.
  absl::Status LoadState(const std::string& state_dir);

  absl::Status Validate(const v1::Policy& policy) const;
  // Validates, persists (when there is a state dir) and swaps the policy
  // in. A refused policy (invalid, or not persisted) leaves the old one in
  // force and is counted.
  absl::StatusOr<v1::SetPolicyResponse> Set(const v1::Policy& policy,
                                            bool dry_run);
  v1::PolicyState State() const;

  // The settings of a new connection from `listener` to `target`.
  proxy::ConnectionPlan Plan(const std::string& listener,
                             const proxy::TcpAddress& target) const;

  const std::string& version() const { return version_; }
  uint64_t generation() const { return generation_; }
  uint64_t refusals() const { return refusals_; }
  const policy::Labels& labels() const { return labels_; }

 private:
  void Refused(const std::string& reason);
  void Install(std::shared_ptr<const policy::CompiledPolicy> compiled,
               uint64_t generation, double applied_unix_seconds);

  const mptcp::MptcpConfig defaults_;
  const policy::PolicyContext context_;
  const policy::Labels labels_;
  Hooks hooks_;
  std::optional<policy::PolicyStore> store_;
  // Null until a policy is set: every connection gets the defaults.
  std::shared_ptr<const policy::CompiledPolicy> policy_;
  std::string version_;
  uint64_t generation_ = 0;
  double applied_unix_seconds_ = 0;
  std::string last_refusal_;
  uint64_t refusals_ = 0;
};

}  // namespace plait::daemon

#endif  // PLAIT_DATAPLANE_DAEMON_POLICY_CONTROL_H_
