#include "dataplane/policy/compiled_policy.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace plait::policy {

absl::StatusOr<std::shared_ptr<const CompiledPolicy>> CompilePolicy(
    const v1::Policy& policy, const PolicyContext& context) {
  if (absl::Status s = ValidatePolicy(policy, context); !s.ok()) return s;
  // The constructor is private (only this function builds one), so no
  // make_shared.
  std::shared_ptr<CompiledPolicy> compiled(new CompiledPolicy(policy));
  const v1::Policy& own = compiled->policy_;
  for (const v1::Profile& profile : own.profiles()) {
    compiled->profiles_.emplace(profile.name(), &profile);
  }
  compiled->rules_.reserve(own.rules_size());
  for (const v1::Rule& rule : own.rules()) {
    CompiledPolicy::CompiledRule out;
    const v1::Match& match = rule.match();
    for (const std::string& text : match.destination_prefixes()) {
      absl::StatusOr<Prefix> prefix = Prefix::Parse(text);
      // Validated above; a failure here is a bug in one of the two.
      if (!prefix.ok()) {
        return absl::InternalError(absl::StrCat(
            "prefix \"", text, "\" passed validation but does not parse: ",
            prefix.status().message()));
      }
      out.prefixes.push_back(*prefix);
    }
    for (const v1::PortRange& range : match.destination_ports()) {
      const uint16_t first = static_cast<uint16_t>(range.first());
      const uint16_t last =
          range.last() == 0 ? first : static_cast<uint16_t>(range.last());
      out.ports.push_back({first, last});
    }
    out.listeners.assign(match.listeners().begin(), match.listeners().end());
    out.labels.assign(match.labels().begin(), match.labels().end());
    std::sort(out.labels.begin(), out.labels.end());
    out.profile = compiled->profiles_.at(rule.profile());
    out.name = &rule.name();
    compiled->rules_.push_back(std::move(out));
  }
  if (!own.default_profile().empty()) {
    compiled->default_profile_ = compiled->profiles_.at(own.default_profile());
  }
  return std::shared_ptr<const CompiledPolicy>(std::move(compiled));
}

bool CompiledPolicy::Matches(const CompiledRule& rule,
                             const ConnectionFacts& facts,
                             const Labels& node_labels) {
  if (!rule.prefixes.empty() &&
      std::none_of(
          rule.prefixes.begin(), rule.prefixes.end(),
          [&](const Prefix& p) { return p.Contains(facts.destination); })) {
    return false;
  }
  if (!rule.ports.empty() &&
      std::none_of(rule.ports.begin(), rule.ports.end(),
                   [&](const PortRange& r) {
                     return facts.destination_port >= r.first &&
                            facts.destination_port <= r.last;
                   })) {
    return false;
  }
  if (!rule.listeners.empty() &&
      std::find(rule.listeners.begin(), rule.listeners.end(), facts.listener) ==
          rule.listeners.end()) {
    return false;
  }
  for (const auto& [key, value] : rule.labels) {
    auto it = node_labels.find(key);
    if (it == node_labels.end() || it->second != value) return false;
  }
  return true;
}

Selection CompiledPolicy::Select(const ConnectionFacts& facts,
                                 const Labels& node_labels) const {
  for (const CompiledRule& rule : rules_) {
    if (Matches(rule, facts, node_labels)) {
      return Selection{.profile = rule.profile, .rule = *rule.name};
    }
  }
  return Selection{.profile = default_profile_, .rule = ""};
}

const v1::Profile* CompiledPolicy::FindProfile(const std::string& name) const {
  auto it = profiles_.find(name);
  return it == profiles_.end() ? nullptr : it->second;
}

}  // namespace plait::policy
