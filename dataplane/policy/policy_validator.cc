#include "dataplane/policy/policy_validator.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "dataplane/cc/registry.h"
#include "dataplane/pm/path_manager.h"
#include "dataplane/pm/registry.h"
#include "dataplane/policy/prefix.h"
#include "dataplane/sched/registry.h"
#include "dataplane/wire/ip_address.h"

namespace plait::policy {
namespace {

// The ranges policy.proto promises.
constexpr size_t kMaxProfileName = 63;
constexpr uint32_t kMaxEndpointId = 255;
constexpr uint32_t kMaxPort = 65535;
constexpr uint32_t kMinNdiffports = 2;
constexpr uint32_t kMaxNdiffports = 8;
constexpr uint32_t kMinAddAddrTimeoutMs = 100;
constexpr uint32_t kMaxAddAddrTimeoutMs = 600000;
constexpr uint32_t kMaxAddAddrRetries = 10;

absl::Status Error(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

// Policy text comes from the network: escape it so that a message stays one
// readable line whatever it holds.
std::string Quoted(absl::string_view text) {
  return absl::StrCat("\"", absl::CEscape(text), "\"");
}

// Proto maps iterate in no fixed order; sorting makes "the first error" the
// same on every run and every node.
template <typename Map>
std::vector<std::string> SortedKeys(const Map& map) {
  std::vector<std::string> keys;
  keys.reserve(map.size());
  for (const auto& [key, value] : map) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

bool Contains(const std::vector<std::string>& names, absl::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool IsProfileNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

absl::Status CheckProfileName(
    absl::string_view name, const std::string& field,
    const absl::flat_hash_map<std::string, int>& earlier) {
  if (name.empty()) {
    return Error(field,
                 "empty; a profile needs a name (1 to 63 of a-z, 0-9, _ and "
                 "-) for rules to refer to it");
  }
  if (name.size() > kMaxProfileName) {
    return Error(field, absl::StrCat(Quoted(name), " has ", name.size(),
                                     " characters; at most ", kMaxProfileName));
  }
  for (char c : name) {
    if (!IsProfileNameChar(c)) {
      return Error(field, absl::StrCat(Quoted(name), " has ",
                                       Quoted(absl::string_view(&c, 1)),
                                       ", which is not one of a-z, 0-9, _ and "
                                       "-"));
    }
  }
  if (auto it = earlier.find(name); it != earlier.end()) {
    return Error(field, absl::StrCat(Quoted(name),
                                     " is already the name of "
                                     "profiles[",
                                     it->second, "]"));
  }
  return absl::OkStatus();
}

std::string PathList(const std::vector<wire::IpAddress>& paths) {
  if (paths.empty()) return "it has none";
  return absl::StrJoin(paths, ", ",
                       [](std::string* out, const wire::IpAddress& a) {
                         out->append(a.ToString());
                       });
}

// One endpoint's own fields; `earlier` holds the ids of the endpoints
// before it (by index).
absl::StatusOr<pm::Endpoint> CheckEndpoint(
    const v1::PathEndpoint& endpoint, const std::string& field,
    const absl::flat_hash_map<uint32_t, int>& earlier,
    const PolicyContext& context) {
  if (endpoint.id() == 0 || endpoint.id() > kMaxEndpointId) {
    return Error(field + ".id",
                 absl::StrCat(endpoint.id(),
                              " is outside 1 to 255 (0 is the initial "
                              "subflow's address id)"));
  }
  if (auto it = earlier.find(endpoint.id()); it != earlier.end()) {
    return Error(field + ".id",
                 absl::StrCat(endpoint.id(), " is already the id of endpoints[",
                              it->second, "]; ids must be unique"));
  }
  absl::StatusOr<wire::IpAddress> address =
      wire::IpAddress::Parse(endpoint.address());
  if (!address.ok()) {
    return Error(field + ".address",
                 absl::StrCat(Quoted(endpoint.address()),
                              " is not an IPv4 or IPv6 address"));
  }
  if (std::find(context.paths.begin(), context.paths.end(), *address) ==
      context.paths.end()) {
    return Error(
        field + ".address",
        absl::StrCat(address->ToString(), " is not one of this node's paths (",
                     PathList(context.paths), ")"));
  }
  pm::Endpoint out;
  out.id = static_cast<uint8_t>(endpoint.id());
  out.address = *address;
  out.subflow = endpoint.subflow();
  out.signal = endpoint.signal();
  out.backup = endpoint.backup();
  out.fullmesh = endpoint.fullmesh();
  return out;
}

absl::Status CheckLimit(bool has, uint32_t value, const std::string& field) {
  if (has && value > static_cast<uint32_t>(pm::kMaxLimit)) {
    return Error(field, absl::StrCat(value, " is more than ", pm::kMaxLimit,
                                     " (Linux's cap)"));
  }
  return absl::OkStatus();
}

absl::Status CheckPathManager(const v1::PathManagerProfile& profile,
                              const std::string& field,
                              const PolicyContext& context) {
  const std::vector<std::string> modes = pm::PathManagerNames();
  if (!profile.mode().empty() && !Contains(modes, profile.mode())) {
    return Error(
        field + ".mode",
        absl::StrCat(Quoted(profile.mode()), " is not a path manager (",
                     absl::StrJoin(modes, ", "), ")"));
  }

  // The configuration the path manager would get, with the path manager's
  // own defaults where the profile says nothing, for pm::ValidateConfig.
  pm::PathManagerConfig config;
  if (profile.endpoints_size() > pm::kMaxLimit) {
    return Error(field + ".endpoints",
                 absl::StrCat(profile.endpoints_size(), " endpoints; at most ",
                              pm::kMaxLimit, " (Linux's cap)"));
  }
  absl::flat_hash_map<uint32_t, int> ids;
  for (int i = 0; i < profile.endpoints_size(); ++i) {
    const std::string endpoint_field =
        absl::StrCat(field, ".endpoints[", i, "]");
    absl::StatusOr<pm::Endpoint> endpoint =
        CheckEndpoint(profile.endpoints(i), endpoint_field, ids, context);
    if (!endpoint.ok()) return endpoint.status();
    ids.emplace(profile.endpoints(i).id(), i);
    config.endpoints.push_back(*endpoint);
  }

  const v1::Limits& limits = profile.limits();
  if (absl::Status s =
          CheckLimit(limits.has_max_subflows(), limits.max_subflows(),
                     field + ".limits.max_subflows");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckLimit(limits.has_max_add_addr_accepted(),
                                  limits.max_add_addr_accepted(),
                                  field + ".limits.max_add_addr_accepted");
      !s.ok()) {
    return s;
  }
  if (limits.has_max_subflows()) {
    config.limits.max_subflows = static_cast<int>(limits.max_subflows());
  }
  if (limits.has_max_add_addr_accepted()) {
    config.limits.max_add_addr_accepted =
        static_cast<int>(limits.max_add_addr_accepted());
  }

  const bool ndiffports = profile.mode() == "ndiffports";
  if (profile.has_ndiffports_subflows()) {
    const std::string ndiff_field = field + ".ndiffports_subflows";
    if (!ndiffports) {
      return Error(
          ndiff_field,
          absl::StrCat("only the ndiffports mode uses it, and mode is ",
                       profile.mode().empty() ? std::string("not set")
                                              : Quoted(profile.mode())));
    }
    const uint32_t n = profile.ndiffports_subflows();
    if (n < kMinNdiffports || n > kMaxNdiffports) {
      return Error(ndiff_field, absl::StrCat(n, " is outside ", kMinNdiffports,
                                             " to ", kMaxNdiffports));
    }
    config.ndiffports.subflows = static_cast<int>(n);
  }
  // ndiffports opens subflows - 1 extra subflows, which must fit the limit
  // the profile sets, or its path manager could not be created (and the
  // connection would silently get "explicit"). Without a limit in the
  // profile, ApplyProfile raises the daemon's as far as needed.
  if (ndiffports && limits.has_max_subflows() &&
      config.ndiffports.subflows - 1 > config.limits.max_subflows) {
    const int needed = config.ndiffports.subflows - 1;
    if (profile.has_ndiffports_subflows()) {
      return Error(field + ".ndiffports_subflows",
                   absl::StrCat(config.ndiffports.subflows, " needs ", needed,
                                " extra subflows but limits.max_subflows is ",
                                config.limits.max_subflows));
    }
    return Error(field + ".limits.max_subflows",
                 absl::StrCat(config.limits.max_subflows,
                              " leaves no room for ndiffports' ", needed,
                              " extra subflow(s) (", config.ndiffports.subflows,
                              " subflows by default)"));
  }

  // What pm::ValidateConfig checks beyond the above (endpoint flags,
  // duplicate addresses) is reported under this profile's field; its
  // messages start with their own field ("endpoints[1].flags: ...").
  if (absl::Status s = pm::ValidateConfig(config); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".", s.message()));
  }
  return absl::OkStatus();
}

// Parameters are refused by name (policy.proto: none are accepted yet), so
// that a typo or a parameter from a newer controller is not silently lost.
template <typename Map>
absl::Status CheckNoParameters(const Map& parameters, const std::string& field,
                               absl::string_view name, absl::string_view kind) {
  if (parameters.empty()) return absl::OkStatus();
  const std::string key = SortedKeys(parameters).front();
  const std::string who = name.empty()
                              ? absl::StrCat("the daemon's default ", kind)
                              : std::string(name);
  return Error(absl::StrCat(field, ".parameters[", Quoted(key), "]"),
               absl::StrCat(who, " takes no parameters"));
}

absl::Status CheckScheduler(const v1::SchedulerProfile& profile,
                            const std::string& field) {
  const std::vector<std::string> names = sched::SchedulerNames();
  if (!profile.name().empty() && !Contains(names, profile.name())) {
    return Error(field + ".name",
                 absl::StrCat(Quoted(profile.name()), " is not a scheduler (",
                              absl::StrJoin(names, ", "), ")"));
  }
  return CheckNoParameters(profile.parameters(), field, profile.name(),
                           "scheduler");
}

absl::Status CheckCongestionControl(const v1::CongestionControlProfile& profile,
                                    const std::string& field) {
  const std::vector<std::string> names = cc::CongestionControlNames();
  if (!profile.name().empty() && !Contains(names, profile.name())) {
    return Error(field + ".name",
                 absl::StrCat(Quoted(profile.name()),
                              " is not a congestion control algorithm (",
                              absl::StrJoin(names, ", "), ")"));
  }
  return CheckNoParameters(profile.parameters(), field, profile.name(),
                           "congestion control");
}

absl::Status CheckOptions(const v1::ConnectionOptions& options,
                          const std::string& field) {
  if (options.has_add_addr_timeout_ms() &&
      (options.add_addr_timeout_ms() < kMinAddAddrTimeoutMs ||
       options.add_addr_timeout_ms() > kMaxAddAddrTimeoutMs)) {
    return Error(field + ".add_addr_timeout_ms",
                 absl::StrCat(options.add_addr_timeout_ms(), " is outside ",
                              kMinAddAddrTimeoutMs, " to ",
                              kMaxAddAddrTimeoutMs, " ms"));
  }
  if (options.has_add_addr_retries() &&
      options.add_addr_retries() > kMaxAddAddrRetries) {
    return Error(field + ".add_addr_retries",
                 absl::StrCat(options.add_addr_retries(), " is outside 0 to ",
                              kMaxAddAddrRetries));
  }
  // proto3 enums are open: a newer controller's value parses as a number
  // this daemon does not know how to honour.
  if (!v1::FallbackBehaviour_IsValid(options.fallback())) {
    return Error(field + ".fallback",
                 absl::StrCat(options.fallback(),
                              " is not a FallbackBehaviour this daemon knows"));
  }
  return absl::OkStatus();
}

absl::Status CheckProfile(const v1::Profile& profile, const std::string& field,
                          const absl::flat_hash_map<std::string, int>& earlier,
                          const PolicyContext& context) {
  if (absl::Status s =
          CheckProfileName(profile.name(), field + ".name", earlier);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckPathManager(profile.path_manager(),
                                        field + ".path_manager", context);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CheckScheduler(profile.scheduler(), field + ".scheduler");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckCongestionControl(profile.congestion_control(),
                                              field + ".congestion_control");
      !s.ok()) {
    return s;
  }
  return CheckOptions(profile.options(), field + ".options");
}

absl::Status CheckPortRange(const v1::PortRange& range,
                            const std::string& field) {
  if (range.first() == 0 || range.first() > kMaxPort) {
    return Error(field + ".first",
                 absl::StrCat(range.first(), " is not a port (1 to 65535)"));
  }
  if (range.last() > kMaxPort) {
    return Error(field + ".last",
                 absl::StrCat(range.last(),
                              " is not a port (1 to 65535, or 0 for just "
                              "first)"));
  }
  if (range.last() != 0 && range.last() < range.first()) {
    return Error(field + ".last",
                 absl::StrCat(range.last(), " is less than first (",
                              range.first(), ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckMatch(const v1::Match& match, const std::string& field) {
  for (int i = 0; i < match.destination_prefixes_size(); ++i) {
    const std::string& text = match.destination_prefixes(i);
    if (absl::StatusOr<Prefix> prefix = Prefix::Parse(text); !prefix.ok()) {
      return Error(absl::StrCat(field, ".destination_prefixes[", i, "]"),
                   absl::StrCat(Quoted(text), ": ", prefix.status().message()));
    }
  }
  for (int i = 0; i < match.destination_ports_size(); ++i) {
    if (absl::Status s =
            CheckPortRange(match.destination_ports(i),
                           absl::StrCat(field, ".destination_ports[", i, "]"));
        !s.ok()) {
      return s;
    }
  }
  for (int i = 0; i < match.listeners_size(); ++i) {
    if (match.listeners(i).empty()) {
      return Error(absl::StrCat(field, ".listeners[", i, "]"),
                   "empty; name a listener as GetStatus lists it "
                   "(\"forward:ADDR:PORT\", \"transparent:ADDR:PORT\", "
                   "\"serve:PORT\")");
    }
  }
  for (const std::string& key : SortedKeys(match.labels())) {
    if (key.empty()) {
      return Error(absl::StrCat(field, ".labels[", Quoted(key), "]"),
                   "empty key; a node label is KEY=VALUE with a non-empty KEY");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRule(const v1::Rule& rule, const std::string& field,
                       const absl::flat_hash_map<std::string, int>& earlier,
                       const absl::flat_hash_map<std::string, int>& profiles) {
  if (rule.name().empty()) {
    return Error(field + ".name",
                 "empty; every rule needs a name (connections show the rule "
                 "that matched them)");
  }
  if (auto it = earlier.find(rule.name()); it != earlier.end()) {
    return Error(field + ".name", absl::StrCat(Quoted(rule.name()),
                                               " is already the name of rules[",
                                               it->second, "]"));
  }
  if (absl::Status s = CheckMatch(rule.match(), field + ".match"); !s.ok()) {
    return s;
  }
  if (rule.profile().empty()) {
    return Error(field + ".profile",
                 "empty; a rule must name a profile of the policy");
  }
  if (!profiles.contains(rule.profile())) {
    return Error(field + ".profile",
                 absl::StrCat(Quoted(rule.profile()),
                              " names no profile of the policy"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidatePolicy(const v1::Policy& policy,
                            const PolicyContext& context) {
  absl::flat_hash_map<std::string, int> profiles;  // name -> index
  for (int i = 0; i < policy.profiles_size(); ++i) {
    const v1::Profile& profile = policy.profiles(i);
    if (absl::Status s = CheckProfile(
            profile, absl::StrCat("profiles[", i, "]"), profiles, context);
        !s.ok()) {
      return s;
    }
    profiles.emplace(profile.name(), i);
  }
  absl::flat_hash_map<std::string, int> rules;  // name -> index
  for (int i = 0; i < policy.rules_size(); ++i) {
    const v1::Rule& rule = policy.rules(i);
    if (absl::Status s =
            CheckRule(rule, absl::StrCat("rules[", i, "]"), rules, profiles);
        !s.ok()) {
      return s;
    }
    rules.emplace(rule.name(), i);
  }
  if (!policy.default_profile().empty() &&
      !profiles.contains(policy.default_profile())) {
    return Error("default_profile",
                 absl::StrCat(Quoted(policy.default_profile()),
                              " names no profile of the policy"));
  }
  return absl::OkStatus();
}

}  // namespace plait::policy
