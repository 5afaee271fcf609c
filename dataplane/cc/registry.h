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

namespace plait::cc {

// A new algorithm for one flow: "reno" (NewReno) or "cubic" (Cubic). Names are
// matched exactly (lower case). InvalidArgument for an unknown name (the
// message lists the known ones), for mss == 0 and for
// initial_window_segments == 0.
absl::StatusOr<std::unique_ptr<CongestionControl>> CreateCongestionControl(
    absl::string_view name, uint64_t mss,
    uint64_t initial_window_segments = kInitialWindowSegments);

// The known names, in registration order.
std::vector<std::string> CongestionControlNames();

}  // namespace plait::cc

#endif  // PLAIT_DATAPLANE_CC_REGISTRY_H_
