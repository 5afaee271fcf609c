#include "dataplane/sched/round_robin.h"

#include "absl/types/span.h"
#include "dataplane/sched/scheduler.h"

namespace plait::sched {

Decision RoundRobinScheduler::Schedule(const ConnectionView& connection,
                                       absl::Span<const SubflowView> subflows) {
  if (auto halt = internal::CheckConnection(connection)) {
    return internal::Halt(*halt);
  }
  const bool use_backups = UseBackupSubflows(subflows);
  const SubflowView* first = nullptr;  // lowest id with room
  const SubflowView* next = nullptr;   // lowest id above last_served_
  for (const SubflowView& subflow : subflows) {
    if (!IsCandidate(subflow, use_backups) || CwndRoom(subflow) == 0) continue;
    if (first == nullptr || subflow.id < first->id) first = &subflow;
    if (last_served_.has_value() && subflow.id > *last_served_ &&
        (next == nullptr || subflow.id < next->id)) {
      next = &subflow;
    }
  }
  const SubflowView* chosen = next != nullptr ? next : first;
  if (chosen == nullptr) return internal::NoSubflow(subflows, use_backups);
  last_served_ = chosen->id;
  return internal::SendOn(*chosen, ChunkBytes(connection));
}

}  // namespace plait::sched
