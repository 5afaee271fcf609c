#include "dataplane/sched/redundant.h"

#include <algorithm>
#include <cstdint>

#include "absl/types/span.h"
#include "dataplane/sched/scheduler.h"

namespace plait::sched {

Decision RedundantScheduler::Schedule(const ConnectionView& connection,
                                      absl::Span<const SubflowView> subflows) {
  if (auto halt = internal::CheckConnection(connection)) {
    return internal::Halt(*halt);
  }
  const bool use_backups = UseBackupSubflows(subflows);
  const uint64_t chunk = ChunkBytes(connection);
  Decision decision;
  for (const SubflowView& subflow : subflows) {
    if (!IsCandidate(subflow, use_backups)) continue;
    const uint64_t room = CwndRoom(subflow);
    if (room == 0) continue;
    decision.targets.push_back(Target{subflow.id, std::min(chunk, room)});
  }
  if (decision.targets.empty()) {
    return internal::NoSubflow(subflows, use_backups);
  }
  decision.action = Action::kSend;
  decision.chunk_bytes = chunk;
  return decision;
}

}  // namespace plait::sched
