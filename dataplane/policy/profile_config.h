// Turns a policy profile into a connection's settings: the daemon fills an
// MptcpConfig from its flags, then the selected profile overrides what it
// sets (policy.proto: an unset field takes the daemon's own setting).
#ifndef PLAIT_DATAPLANE_POLICY_PROFILE_CONFIG_H_
#define PLAIT_DATAPLANE_POLICY_PROFILE_CONFIG_H_

#include <vector>

#include "dataplane/mptcp/mptcp_connection.h"
#include "dataplane/wire/ip_address.h"
#include "proto/plait/v1/policy.pb.h"

namespace plait::policy {

// Sets on `config` (already the daemon's defaults) what `profile` sets:
// scheduler, congestion control, path manager mode, endpoints (an empty
// list keeps the config's), limits, ndiffports subflows, DSS checksums and
// the ADD_ADDR timeout and retries. `paths` are the node's path addresses
// (PolicyContext::paths).
//
// Cannot fail for a profile of a validated policy. Should an endpoint not
// parse or not be a path anyway (a profile that skipped validation), it is
// left out rather than handed to the path manager. When the result uses
// "ndiffports" and the profile sets no limits.max_subflows, max_subflows is
// raised to fit ndiffports' extra subflows: otherwise the path manager
// could not be created and the connection would fall back to "explicit".
void ApplyProfile(const v1::Profile& profile,
                  const std::vector<wire::IpAddress>& paths,
                  mptcp::MptcpConfig* config);

// What a connection does when it falls back to plain TCP: ALLOW or RESET,
// never UNSPECIFIED. nullptr (no profile selected) and an unset fallback
// give the daemon's behaviour, ALLOW (RFC 8684 3.7, as Linux).
v1::FallbackBehaviour FallbackOf(const v1::Profile* profile);

}  // namespace plait::policy

#endif  // PLAIT_DATAPLANE_POLICY_PROFILE_CONFIG_H_
