// A validated policy in the form plaitd matches new connections against:
// prefixes parsed, port ranges as integers, profiles found by pointer, so
// that choosing a connection's profile parses nothing.
//
// Immutable once built, and handed out as shared_ptr<const>: the daemon
// swaps the pointer when a new policy arrives while connections being set
// up keep the one they started with.
#ifndef PLAIT_DATAPLANE_POLICY_COMPILED_POLICY_H_
#define PLAIT_DATAPLANE_POLICY_COMPILED_POLICY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "dataplane/policy/policy_validator.h"
#include "dataplane/policy/prefix.h"
#include "dataplane/wire/ip_address.h"
#include "proto/plait/v1/policy.pb.h"

namespace plait::policy {

// The node's labels (plaitd --label KEY=VALUE).
using Labels = absl::flat_hash_map<std::string, std::string>;

// What is known of a new connection when its settings are chosen.
struct ConnectionFacts {
  // For connections the daemon accepts (`serve`), the local server it
  // forwards to (policy.proto, Match.destination_prefixes).
  wire::IpAddress destination;
  uint16_t destination_port = 0;
  // The listener it came from, as GetStatus names it ("serve:8080").
  std::string listener;
};

struct Selection {
  // Points into the CompiledPolicy (valid while it lives); nullptr: no rule
  // matched and there is no default profile, so the daemon's own settings.
  const v1::Profile* profile = nullptr;
  // The rule that matched; empty when none did.
  std::string rule;
};

class CompiledPolicy {
 public:
  CompiledPolicy(const CompiledPolicy&) = delete;
  CompiledPolicy& operator=(const CompiledPolicy&) = delete;

  // The first rule whose match holds for `facts` on a node with
  // `node_labels`, else the default profile, else nothing.
  Selection Select(const ConnectionFacts& facts,
                   const Labels& node_labels) const;

  // The policy as given (for GetPolicy, and to store it).
  const v1::Policy& policy() const { return policy_; }
  // The profile named `name`, or nullptr.
  const v1::Profile* FindProfile(const std::string& name) const;

 private:
  friend absl::StatusOr<std::shared_ptr<const CompiledPolicy>> CompilePolicy(
      const v1::Policy& policy, const PolicyContext& context);

  struct PortRange {
    uint16_t first = 0;
    uint16_t last = 0;  // inclusive; == first for a single port
  };
  // One Rule; an empty list is a criterion that always holds.
  struct CompiledRule {
    std::vector<Prefix> prefixes;
    std::vector<PortRange> ports;
    std::vector<std::string> listeners;
    std::vector<std::pair<std::string, std::string>> labels;
    const v1::Profile* profile = nullptr;
    const std::string* name = nullptr;  // the rule's name in policy_
  };

  explicit CompiledPolicy(const v1::Policy& policy) : policy_(policy) {}
  static bool Matches(const CompiledRule& rule, const ConnectionFacts& facts,
                      const Labels& node_labels);

  // rules_ and profiles_ point into policy_, which never changes.
  const v1::Policy policy_;
  absl::flat_hash_map<std::string, const v1::Profile*> profiles_;
  std::vector<CompiledRule> rules_;
  const v1::Profile* default_profile_ = nullptr;
};

// ValidatePolicy's error, or the compiled policy.
absl::StatusOr<std::shared_ptr<const CompiledPolicy>> CompilePolicy(
    const v1::Policy& policy, const PolicyContext& context);

}  // namespace plait::policy

#endif  // PLAIT_DATAPLANE_POLICY_COMPILED_POLICY_H_
