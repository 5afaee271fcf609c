#include "dataplane/sched/minrtt.h"

#include "absl/types/span.h"
#include "dataplane/sched/scheduler.h"

namespace plait::sched {

Decision MinRttScheduler::Schedule(const ConnectionView& connection,
                                   absl::Span<const SubflowView> subflows) {
  if (auto halt = internal::CheckConnection(connection)) {
    return internal::Halt(*halt);
  }
  const bool use_backups = UseBackupSubflows(subflows);
  const SubflowView* best = internal::LowestRttWithRoom(subflows, use_backups);
  if (best == nullptr) return internal::NoSubflow(subflows, use_backups);
  return internal::SendOn(*best, ChunkBytes(connection));
}

}  // namespace plait::sched
