#include "dataplane/policy/profile_config.h"

#include <algorithm>
#include <vector>

#include "absl/status/statusor.h"
#include "dataplane/base/time.h"
#include "dataplane/pm/path_manager.h"

namespace plait::policy {
namespace {

std::vector<pm::Endpoint> EndpointsOf(
    const v1::PathManagerProfile& profile,
    const std::vector<wire::IpAddress>& paths) {
  std::vector<pm::Endpoint> endpoints;
  for (const v1::PathEndpoint& endpoint : profile.endpoints()) {
    absl::StatusOr<wire::IpAddress> address =
        wire::IpAddress::Parse(endpoint.address());
    if (!address.ok() || endpoint.id() == 0 || endpoint.id() > 255 ||
        std::find(paths.begin(), paths.end(), *address) == paths.end()) {
      continue;  // see ApplyProfile: only for unvalidated profiles
    }
    pm::Endpoint out;
    out.id = static_cast<uint8_t>(endpoint.id());
    out.address = *address;
    out.subflow = endpoint.subflow();
    out.signal = endpoint.signal();
    out.backup = endpoint.backup();
    out.fullmesh = endpoint.fullmesh();
    endpoints.push_back(out);
  }
  return endpoints;
}

void ApplyPathManager(const v1::PathManagerProfile& profile,
                      const std::vector<wire::IpAddress>& paths,
                      mptcp::MptcpConfig* config) {
  pm::PathManagerConfig& pm_config = config->path_manager_config;
  if (!profile.mode().empty()) config->path_manager = profile.mode();
  if (profile.endpoints_size() > 0) {
    pm_config.endpoints = EndpointsOf(profile, paths);
  }
  const v1::Limits& limits = profile.limits();
  if (limits.has_max_subflows()) {
    pm_config.limits.max_subflows = static_cast<int>(
        std::min<uint32_t>(limits.max_subflows(), pm::kMaxLimit));
  }
  if (limits.has_max_add_addr_accepted()) {
    pm_config.limits.max_add_addr_accepted = static_cast<int>(
        std::min<uint32_t>(limits.max_add_addr_accepted(), pm::kMaxLimit));
  }
  if (profile.has_ndiffports_subflows()) {
    pm_config.ndiffports.subflows = static_cast<int>(std::clamp<uint32_t>(
        profile.ndiffports_subflows(), 1, pm::kMaxLimit + 1));
  }
  if (config->path_manager == "ndiffports") {
    const int extra = pm_config.ndiffports.subflows - 1;
    if (extra > pm_config.limits.max_subflows) {
      // The validator makes a profile's own limit fit its own subflows; a
      // daemon default that does not fit yields to the profile's setting.
      if (limits.has_max_subflows()) {
        pm_config.ndiffports.subflows = pm_config.limits.max_subflows + 1;
      } else {
        pm_config.limits.max_subflows = extra;
      }
    }
  }
}

}  // namespace

void ApplyProfile(const v1::Profile& profile,
                  const std::vector<wire::IpAddress>& paths,
                  mptcp::MptcpConfig* config) {
  ApplyPathManager(profile.path_manager(), paths, config);
  if (!profile.scheduler().name().empty()) {
    config->scheduler = profile.scheduler().name();
  }
  if (!profile.congestion_control().name().empty()) {
    config->tcp.congestion_control = profile.congestion_control().name();
  }
  const v1::ConnectionOptions& options = profile.options();
  if (options.has_dss_checksums()) config->checksums = options.dss_checksums();
  if (options.has_add_addr_timeout_ms()) {
    config->add_addr_timeout = Milliseconds(options.add_addr_timeout_ms());
  }
  if (options.has_add_addr_retries()) {
    config->add_addr_retries = static_cast<int>(options.add_addr_retries());
  }
}

v1::FallbackBehaviour FallbackOf(const v1::Profile* profile) {
  if (profile != nullptr &&
      profile->options().fallback() == v1::FALLBACK_BEHAVIOUR_RESET) {
    return v1::FALLBACK_BEHAVIOUR_RESET;
  }
  return v1::FALLBACK_BEHAVIOUR_ALLOW;
}

}  // namespace plait::policy
