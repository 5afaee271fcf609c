// Congestion-control algorithms by name, for TcpConfig::congestion_control and
// the command line.
#ifndef PLAIT_DATAPLANE_CC_REGISTRY_H_
#define PLAIT_DATAPLANE_CC_REGISTRY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dataplane/cc/congestion_control.h"
#include "dataplane/cc/coupled_group.h"

namespace plait::cc {

// A new algorithm for one flow or MPTCP subflow: "reno" (NewReno), "cubic"
// (Cubic), or one of the coupled MPTCP algorithms "lia" (Lia, RFC 6356),
// "olia" (Olia) and "balia" (Balia). Names are matched exactly (lower case).
//
// The coupled algorithms need `group`, the CouplingGroup of the subflow's
// MPTCP connection (one per connection, shared by all its subflows'
// controllers; the new controller joins it and keeps a reference until it is
// destroyed); the uncoupled ones ignore it.
//
// InvalidArgument for an unknown name (the message lists the known ones), for
// mss == 0, for initial_window_segments == 0, and for a coupled algorithm
// without a group.
absl::StatusOr<std::unique_ptr<CongestionControl>> CreateCongestionControl(
    absl::string_view name, uint64_t mss,
    uint64_t initial_window_segments = kInitialWindowSegments,
    std::shared_ptr<CouplingGroup> group = nullptr);

// True for the known algorithms that need a CouplingGroup ("lia", "olia",
// "balia"); false for the others and for unknown names.
bool IsCoupled(absl::string_view name);

// The known names, in registration order: reno, cubic, lia, olia, balia.
std::vector<std::string> CongestionControlNames();

}  // namespace plait::cc

#endif  // PLAIT_DATAPLANE_CC_REGISTRY_H_
