#include "dataplane/daemon/policy_control.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "dataplane/policy/profile_config.h"

namespace plait::daemon {

PolicyControl::PolicyControl(mptcp::MptcpConfig defaults,
                             std::vector<wire::IpAddress> paths,
                             policy::Labels labels, Hooks hooks)
    : defaults_(std::move(defaults)),
      context_{std::move(paths)},
      labels_(std::move(labels)),
      hooks_(std::move(hooks)) {}

absl::Status PolicyControl::LoadState(const std::string& state_dir) {
  auto store = policy::PolicyStore::Open(state_dir);
  if (!store.ok()) return store.status();
  store_.emplace(std::move(*store));
  auto loaded = store_->Load(context_,
                             static_cast<int64_t>(hooks_.unix_now()));
  if (!loaded.ok()) return loaded.status();
  switch (loaded->outcome) {
    case policy::LoadedPolicy::Outcome::kNone:
      return absl::OkStatus();
    case policy::LoadedPolicy::Outcome::kSetAside:
      Refused(absl::StrCat("the stored policy is unusable (",
                           loaded->problem, "): set aside as ",
                           loaded->moved_to,
                           "; running with the defaults"));
      return absl::OkStatus();
    case policy::LoadedPolicy::Outcome::kLoaded:
      break;
  }
  // Load validated it against this node already; compiling cannot fail
  // unless the node's paths changed in between (impossible here).
  auto compiled = policy::CompilePolicy(loaded->policy, context_);
  if (!compiled.ok()) {
    Refused(absl::StrCat("the stored policy: ", compiled.status().message()));
    return absl::OkStatus();
  }
  Install(std::move(*compiled), loaded->generation,
          loaded->applied_unix_seconds);
  return absl::OkStatus();
}

absl::Status PolicyControl::Validate(const v1::Policy& policy) const {
  absl::Status s = policy::ValidatePolicy(policy, context_);
  if (s.ok()) return s;
  return absl::InvalidArgumentError(absl::StrCat("policy.", s.message()));
}

absl::StatusOr<v1::SetPolicyResponse> PolicyControl::Set(
    const v1::Policy& policy, bool dry_run) {
  auto compiled = policy::CompilePolicy(policy, context_);
  if (!compiled.ok()) {
    const absl::Status refused = absl::InvalidArgumentError(
        absl::StrCat("policy.", compiled.status().message()));
    if (!dry_run) Refused(std::string(refused.message()));
    return refused;
  }
  v1::SetPolicyResponse response;
  const uint64_t generation = generation_ + 1;
  response.set_generation(generation);
  if (dry_run) {
    response.set_version(policy.version().empty()
                             ? absl::StrCat("gen-", generation)
                             : policy.version());
    response.set_applied(false);
    return response;
  }
  const double now = hooks_.unix_now();
  if (store_.has_value()) {
    if (absl::Status s = store_->Save(policy, generation, now); !s.ok()) {
      const std::string reason = absl::StrCat(
          "not applied: it could not be persisted: ", s.message());
      Refused(reason);
      return absl::InternalError(reason);
    }
  }
  Install(std::move(*compiled), generation, now);
  response.set_version(version_);
  response.set_applied(true);
  return response;
}

void PolicyControl::Install(std::shared_ptr<const policy::CompiledPolicy> c,
                            uint64_t generation, double applied_unix_seconds) {
  policy_ = std::move(c);
  generation_ = generation;
  applied_unix_seconds_ = applied_unix_seconds;
  version_ = policy_->policy().version().empty()
                 ? absl::StrCat("gen-", generation)
                 : policy_->policy().version();
  if (hooks_.on_applied) hooks_.on_applied(version_);
}

void PolicyControl::Refused(const std::string& reason) {
  ++refusals_;
  last_refusal_ = reason;
  if (hooks_.on_refused) hooks_.on_refused(reason);
}

v1::PolicyState PolicyControl::State() const {
  v1::PolicyState state;
  if (policy_ != nullptr) {
    *state.mutable_policy() = policy_->policy();
    state.mutable_policy()->set_version(version_);
  }
  state.set_generation(generation_);
  state.set_applied_unix_seconds(applied_unix_seconds_);
  state.set_last_refusal(last_refusal_);
  return state;
}

proxy::ConnectionPlan PolicyControl::Plan(
    const std::string& listener, const proxy::TcpAddress& target) const {
  proxy::ConnectionPlan plan;
  plan.config = defaults_;
  if (policy_ == nullptr) return plan;
  const policy::Selection selection = policy_->Select(
      policy::ConnectionFacts{target.address, target.port, listener},
      labels_);
  plan.rule = selection.rule;
  if (selection.profile == nullptr) return plan;
  plan.profile = selection.profile->name();
  policy::ApplyProfile(*selection.profile, context_.paths, &plan.config);
  plan.reset_on_fallback =
      policy::FallbackOf(selection.profile) == v1::FALLBACK_BEHAVIOUR_RESET;
  plan.fast_close_on_close =
      selection.profile->options().fast_close_on_close();
  return plan;
}

}  // namespace plait::daemon
