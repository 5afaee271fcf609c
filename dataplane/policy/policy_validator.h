// Checks a plait.v1.Policy (proto/plait/v1/policy.proto) against everything
// its comments promise, before plaitd applies or stores it. A policy that
// passes can be compiled (compiled_policy.h) and applied to connections
// (profile_config.h) without any further error.
#ifndef PLAIT_DATAPLANE_POLICY_POLICY_VALIDATOR_H_
#define PLAIT_DATAPLANE_POLICY_POLICY_VALIDATOR_H_

#include <vector>

#include "absl/status/status.h"
#include "dataplane/wire/ip_address.h"
#include "proto/plait/v1/policy.pb.h"

namespace plait::policy {

// What a policy is checked against that the policy itself does not say.
struct PolicyContext {
  // The node's path addresses (plaitd --path), the first being the initial
  // subflow's. A profile's endpoints must be among them.
  std::vector<wire::IpAddress> paths;
};

// OK, or InvalidArgument for the first problem found (fields in proto order,
// repeated fields by index, map entries by key). The message starts with the
// field's path, then says what is wrong and why, e.g.
//   rules[0].profile: "bulk" names no profile of the policy
//   profiles[1].scheduler.name: "fastest" is not a scheduler (minrtt, ...)
absl::Status ValidatePolicy(const v1::Policy& policy,
                            const PolicyContext& context);

}  // namespace plait::policy

#endif  // PLAIT_DATAPLANE_POLICY_POLICY_VALIDATOR_H_
