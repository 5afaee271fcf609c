// Packet schedulers by name, for the connection's configuration, the policy
// pushed by the controller and the command line.
#ifndef PLAIT_DATAPLANE_SCHED_REGISTRY_H_
#define PLAIT_DATAPLANE_SCHED_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dataplane/sched/scheduler.h"

namespace plait::sched {

// The scheduler a connection gets unless told otherwise: lowest RTT first,
// like Linux.
inline constexpr absl::string_view kDefaultScheduler = "minrtt";

// A new scheduler for one connection, in its fresh state: "minrtt",
// "roundrobin", "redundant", "blest" or "ecf". Names are matched exactly
// (lower case). InvalidArgument for an unknown name; the message lists the
// known ones. Switching a connection's scheduler is replacing its object with
// a new one from here (scheduler.h, "Switching").
absl::StatusOr<std::unique_ptr<Scheduler>> CreateScheduler(
    absl::string_view name);

// The known names, in registration order.
std::vector<std::string> SchedulerNames();

}  // namespace plait::sched

#endif  // PLAIT_DATAPLANE_SCHED_REGISTRY_H_
